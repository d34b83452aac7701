"""Removing the connection (F4): tokens, settings, users, bindings, the contact index.

The synced phonebook group keeps its contacts and becomes editable: its ``connection_id`` is
cleared and it is labelled :data:`DISCONNECTED_LABEL`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.integration.sync_problems import clear_sync_problems
from deskline.store.models import (
    ExtensionBinding,
    HelpdeskConnection,
    HelpdeskContact,
    HelpdeskUser,
    PhonebookGroup,
)

DISCONNECTED_LABEL = "Helpdesk (disconnected)"


@dataclass(frozen=True)
class DisconnectReport:
    template_key: str
    users_removed: int
    bindings_removed: int
    contacts_removed: int
    groups_released: list[str]


async def remove_connection(session: AsyncSession, row: HelpdeskConnection) -> DisconnectReport:
    """Delete the connection and what belongs to it; release its phonebook groups."""
    groups = list(
        (
            await session.execute(
                select(PhonebookGroup.name).where(PhonebookGroup.connection_id == row.id)
            )
        ).scalars()
    )
    await session.execute(
        update(PhonebookGroup)
        .where(PhonebookGroup.connection_id == row.id)
        .values(connection_id=None, label=DISCONNECTED_LABEL)
    )
    bindings = await session.execute(
        delete(ExtensionBinding).where(ExtensionBinding.connection_id == row.id)
    )
    contacts = await session.execute(
        delete(HelpdeskContact).where(HelpdeskContact.connection_id == row.id)
    )
    users = await session.execute(delete(HelpdeskUser).where(HelpdeskUser.connection_id == row.id))
    await session.delete(row)
    await clear_sync_problems(session)
    await session.flush()
    return DisconnectReport(
        template_key=row.template_key,
        users_removed=_count(users),
        bindings_removed=_count(bindings),
        contacts_removed=_count(contacts),
        groups_released=groups,
    )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
