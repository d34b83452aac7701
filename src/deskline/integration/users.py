"""Helpdesk users (agents) fetched through the template's UserAssociation scenario (F2).

:meth:`UserDirectory.refresh` runs UserAssociation — every page, as the template's pagination
says — and stores the users; users the helpdesk no longer lists are kept but marked inactive
(their bindings stay until the admin removes them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.connector import HelpdeskUser as RemoteUser
from deskline.errors import ConfigurationError, HelpdeskAuthError, HelpdeskError
from deskline.integration.connection_settings import connected_row
from deskline.integration.connectors import ConnectorProvider
from deskline.integration.problems import IntegrationError
from deskline.store.db import Database
from deskline.store.models import HelpdeskUser
from deskline.store.types import utcnow


@dataclass(frozen=True)
class RefreshReport:
    fetched: int
    added: int
    updated: int
    deactivated: int
    requests: int
    warnings: list[str]


def display_name(user: HelpdeskUser) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p) or user.remote_id


async def list_users(session: AsyncSession, connection_id: int) -> list[HelpdeskUser]:
    statement = (
        select(HelpdeskUser)
        .where(HelpdeskUser.connection_id == connection_id)
        .order_by(HelpdeskUser.active.desc(), HelpdeskUser.first_name, HelpdeskUser.id)
    )
    return list((await session.execute(statement)).scalars())


class UserDirectory:
    """Fetches and lists the connected helpdesk's users."""

    def __init__(self, db: Database, provider: ConnectorProvider) -> None:
        self.db = db
        self.provider = provider

    async def list(self) -> list[HelpdeskUser]:
        async with self.db.read() as session:
            row = await connected_row(session)
            return await list_users(session, row.id)

    async def refresh(self) -> RefreshReport:
        async with self.db.read() as session:
            helpdesk = await self.provider.current(session)
        if helpdesk is None:
            raise IntegrationError(409, "no helpdesk is connected")
        if helpdesk.needs_reauth:
            raise IntegrationError(409, "the helpdesk needs authorizing again: connect it again")
        try:
            connector = await helpdesk.connector()
            result = await connector.fetch_users()
        except HelpdeskAuthError as exc:
            await helpdesk.mark_needs_reauth(exc)
            raise IntegrationError(
                409, f"the helpdesk refused deskline's authorization ({exc}): connect it again"
            ) from None
        except HelpdeskError as exc:
            raise IntegrationError(502, f"fetching the helpdesk users failed: {exc}") from None
        except ConfigurationError as exc:
            raise IntegrationError(422, f"the template cannot fetch users: {exc}") from None
        async with self.db.transaction() as session:
            counts = await _store(session, helpdesk.connection_id, result.users)
        return RefreshReport(
            fetched=len(result.users),
            added=counts[0],
            updated=counts[1],
            deactivated=counts[2],
            requests=len(result.log),
            warnings=list(result.warnings),
        )


async def _store(
    session: AsyncSession, connection_id: int, remote: list[RemoteUser]
) -> tuple[int, int, int]:
    existing = {user.remote_id: user for user in await list_users(session, connection_id)}
    seen: set[str] = set()
    added = updated = 0
    now = utcnow()
    for item in remote:
        remote_id = str(item.id).strip()
        if not remote_id or remote_id in seen:
            continue
        seen.add(remote_id)
        row = existing.get(remote_id)
        if row is None:
            row = HelpdeskUser(connection_id=connection_id, remote_id=remote_id[:255])
            session.add(row)
            added += 1
        else:
            updated += 1
        row.first_name = _cut(item.first_name)
        row.last_name = _cut(item.last_name)
        row.email = _cut(item.email, 320)
        row.active = True
        row.fetched_at = now
    deactivated = 0
    for remote_id, row in existing.items():
        if remote_id not in seen and row.active:
            row.active = False
            deactivated += 1
    await session.flush()
    return added, updated, deactivated


def _cut(value: str | None, length: int = 255) -> str | None:
    text = (value or "").strip()
    return text[:length] or None
