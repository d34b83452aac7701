"""Contact sync (F8): a helpdesk contact a bound extension talks to is copied into the chosen
phonebook group (one way, helpdesk → PBX), matched by its helpdesk id.

A contact without a first or last name, or without any phone number, is not copied; the reason
is recorded for the admin (``GET /api/phonebook/sync-problems``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.integration.settings_model import IntegrationSettings
from deskline.integration.sync_problems import (
    clear_sync_problem,
    record_sync_problem,
    sync_problem_reason,
)
from deskline.pipeline.contact_index import IndexedContact
from deskline.store.models import PhonebookContact, PhonebookGroup

_KINDS = ("business", "business2", "mobile", "mobile2", "home", "home2", "other")


async def sync_contact(
    session: AsyncSession,
    connection_id: int,
    settings: IntegrationSettings,
    contact: IndexedContact,
) -> str:
    """Copy ``contact`` into the sync group; returns what happened (for the job's detail)."""
    group_id = settings.contact_sync_group_id
    if group_id is None:
        return "contact sync is off"
    group = await session.get(PhonebookGroup, group_id)
    if group is None or group.connection_id != connection_id:
        return "the contact sync group is gone or not the helpdesk's"
    reason = sync_problem_reason(contact.first_name, contact.last_name, list(contact.numbers))
    if reason:
        await record_sync_problem(session, contact.remote_id, contact.name, reason)
        return f"contact {contact.remote_id} not synced: {reason}"
    row = (
        await session.execute(
            select(PhonebookContact).where(
                PhonebookContact.group_id == group_id,
                PhonebookContact.remote_id == contact.remote_id,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        row = PhonebookContact(group_id=group_id, remote_id=contact.remote_id)
        session.add(row)
    row.first_name = contact.first_name
    row.last_name = contact.last_name
    row.email = contact.email
    row.numbers = dict(zip(_KINDS, contact.numbers, strict=False))
    await clear_sync_problem(session, contact.remote_id)
    await session.flush()
    return f"contact {contact.remote_id} synced"
