"""Reading and changing the integration settings (``GET/PUT /api/helpdesk/settings``).

Beyond :class:`IntegrationSettings`' own rules, a change is checked against the connection:

- the contact-sync group (F8) must exist and be empty when it is chosen (or be created new
  with ``new_group_name``); it gets the label ``Helpdesk`` and the connection's id, which makes
  it read-only while connected. A group no longer chosen is released (editable again);
- a feature the template cannot do is refused: tickets need CreateNewTicket, automatic
  contacts CreateNewContact, Talk Partner Edition pops a ScreenPop scenario.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.integration.connectors import ConnectorProvider
from deskline.integration.problems import IntegrationError
from deskline.integration.records import ConnectionStatus, current_connection
from deskline.integration.settings_model import (
    ContactCreationMode,
    IntegrationSettings,
    settings_problems,
)
from deskline.integration.template_source import load_template
from deskline.store.db import Database
from deskline.store.models import HelpdeskConnection, PhonebookContact, PhonebookGroup
from deskline.templates.model import ScenarioId
from deskline.templates.model.template import HelpdeskTemplate

HELPDESK_LABEL = "Helpdesk"
RELEASED_LABEL = "Helpdesk (disconnected)"
MAX_GROUP_NAME = 200


async def connected_row(session: AsyncSession, *, for_update: bool = False) -> HelpdeskConnection:
    row = await current_connection(session, for_update=for_update)
    if row is None or row.status == ConnectionStatus.AUTHORIZING:
        raise IntegrationError(409, "no helpdesk is connected")
    return row


def capability_problems(
    template: HelpdeskTemplate, settings: IntegrationSettings
) -> list[dict[str, str]]:
    """The settings this template cannot carry out."""

    def missing(scenario_id: ScenarioId) -> bool:
        scenario = template.scenario(scenario_id)
        return scenario is None or not scenario.requests

    name = template.name or template.key or "the template"
    checks = [
        (
            settings.tickets.enabled and missing(ScenarioId.CREATE_NEW_TICKET),
            "tickets.enabled",
            "cannot create tickets (no CreateNewTicket requests)",
        ),
        (
            settings.contact_creation.mode is ContactCreationMode.AUTO
            and missing(ScenarioId.CREATE_NEW_CONTACT),
            "contact_creation.mode",
            "cannot create contacts (no CreateNewContact requests)",
        ),
        (
            settings.talk_partner_edition and missing(ScenarioId.SCREEN_POP),
            "talk_partner_edition",
            "has no server-side screen pop (no ScreenPop scenario)",
        ),
    ]
    return [{"path": path, "message": f"{name} {text}"} for bad, path, text in checks if bad]


class SettingsService:
    """The settings of the connected helpdesk."""

    def __init__(self, db: Database, provider: ConnectorProvider) -> None:
        self.db = db
        self.provider = provider

    async def get(self) -> IntegrationSettings:
        async with self.db.read() as session:
            row = await connected_row(session)
            return IntegrationSettings.from_stored(row.settings)

    async def put(
        self, data: dict[str, Any], new_group_name: str | None = None
    ) -> IntegrationSettings:
        """Validate and store ``data`` (the whole settings document; missing keys: defaults)."""
        if new_group_name is not None and data.get("contact_sync_group_id") is not None:
            raise IntegrationError(
                422,
                "choose an existing group (contact_sync_group_id) or a new_group_name, not both",
            )
        try:
            settings = IntegrationSettings.model_validate(data)
        except ValidationError as exc:
            problems = settings_problems(exc)
            raise IntegrationError(422, "the settings are invalid", problems) from None
        async with self.db.transaction() as session:
            row = await connected_row(session, for_update=True)
            loaded = await load_template(session, row.template_key)
            problems = capability_problems(loaded.template, settings)
            if problems:
                raise IntegrationError(422, "the helpdesk cannot do what is asked", problems)
            if new_group_name is not None:
                group = await _new_group(session, new_group_name)
                settings = settings.model_copy(update={"contact_sync_group_id": group.id})
            await self._sync_group(session, row, settings.contact_sync_group_id)
            row.settings = settings.stored()
        await self.provider.forget(row.id)
        return settings

    @staticmethod
    async def _sync_group(
        session: AsyncSession, row: HelpdeskConnection, group_id: int | None
    ) -> None:
        current = IntegrationSettings.from_stored(row.settings).contact_sync_group_id
        if group_id is not None and group_id != current:
            group = await session.get(PhonebookGroup, group_id)
            if group is None:
                raise IntegrationError(
                    422,
                    f"there is no phonebook group {group_id}",
                    [{"path": "contact_sync_group_id", "message": "no such group"}],
                )
            if group.connection_id not in (None, row.id):
                raise IntegrationError(422, f"the group {group.name!r} is synced already")
            count = await session.scalar(
                select(func.count()).where(PhonebookContact.group_id == group_id)
            )
            if count:
                raise IntegrationError(
                    422,
                    f"the group {group.name!r} has {count} contacts: the contact-sync group must "
                    "be empty when chosen (choose an empty group or create a new one)",
                    [{"path": "contact_sync_group_id", "message": "the group is not empty"}],
                )
            group.label = HELPDESK_LABEL
            group.connection_id = row.id
        released = update(PhonebookGroup).where(PhonebookGroup.connection_id == row.id)
        if group_id is not None:
            released = released.where(PhonebookGroup.id != group_id)
        await session.execute(released.values(connection_id=None, label=RELEASED_LABEL))


async def _new_group(session: AsyncSession, name: str) -> PhonebookGroup:
    name = name.strip()
    if not name or len(name) > MAX_GROUP_NAME:
        raise IntegrationError(422, f"a group name needs 1 to {MAX_GROUP_NAME} characters")
    exists = await session.scalar(select(PhonebookGroup.id).where(PhonebookGroup.name == name))
    if exists is not None:
        raise IntegrationError(409, f"a phonebook group named {name!r} exists already")
    group = PhonebookGroup(name=name)
    session.add(group)
    await session.flush()
    return group
