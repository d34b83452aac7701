"""Configured PBX connections; their secrets are encrypted here and nowhere else.

The rest of deskline sees a :class:`PbxConnectionView`: the non-secret config as a dict and
the secrets as :class:`~pydantic.SecretStr` values, which never show in reprs or logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.crypto import SecretBox
from deskline.store.models import PbxConnection
from deskline.store.types import utcnow


@dataclass(frozen=True)
class PbxConnectionView:
    id: int
    name: str
    kind: str
    enabled: bool
    config: dict[str, Any]
    secrets: dict[str, SecretStr] = field(repr=False)
    status: str
    status_detail: str | None
    created_at: datetime
    updated_at: datetime

    def full_config(self) -> dict[str, Any]:
        """Config and plain secrets together, as the adapter's config model expects them."""
        plain = {name: value.get_secret_value() for name, value in self.secrets.items()}
        return {**self.config, **plain}


class PbxConnectionRepository:
    """Reads and writes ``pbx_connections`` in the caller's session."""

    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self._session = session
        self._box = box

    def _encrypt(self, secrets: dict[str, str | SecretStr]) -> str | None:
        if not secrets:
            return None
        plain = {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in secrets.items()
        }
        return self._box.encrypt(json.dumps(plain))

    def _view(self, row: PbxConnection) -> PbxConnectionView:
        plain: dict[str, str] = json.loads(self._box.decrypt(row.secrets)) if row.secrets else {}
        return PbxConnectionView(
            id=row.id,
            name=row.name,
            kind=row.kind,
            enabled=row.enabled,
            config=dict(row.config),
            secrets={name: SecretStr(value) for name, value in plain.items()},
            status=row.status,
            status_detail=row.status_detail,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def create(
        self,
        *,
        name: str,
        kind: str,
        config: dict[str, Any],
        secrets: dict[str, str | SecretStr] | None = None,
        enabled: bool = True,
    ) -> PbxConnectionView:
        """Add a connection; ``ValueError`` if the name is taken."""
        if await self._row_by_name(name) is not None:
            raise ValueError(f"a PBX connection named {name!r} exists already")
        now = utcnow()
        row = PbxConnection(
            name=name,
            kind=kind,
            enabled=enabled,
            config=config,
            secrets=self._encrypt(secrets or {}),
            status="new",
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return self._view(row)

    async def _row_by_name(self, name: str) -> PbxConnection | None:
        statement = select(PbxConnection).where(PbxConnection.name == name)
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def get(self, connection_id: int) -> PbxConnectionView | None:
        row = await self._session.get(PbxConnection, connection_id)
        return None if row is None else self._view(row)

    async def version_by_name(self, name: str) -> tuple[int, datetime] | None:
        """The id and ``updated_at`` of a connection, without decrypting anything: enough
        to tell whether a cached view of it is still current."""
        statement = select(PbxConnection.id, PbxConnection.updated_at).where(
            PbxConnection.name == name
        )
        found = (await self._session.execute(statement)).one_or_none()
        return None if found is None else (found.id, found.updated_at)

    async def by_name(self, name: str) -> PbxConnectionView | None:
        row = await self._row_by_name(name)
        return None if row is None else self._view(row)

    async def list(self, *, enabled_only: bool = False) -> list[PbxConnectionView]:
        statement = select(PbxConnection).order_by(PbxConnection.name)
        if enabled_only:
            statement = statement.where(PbxConnection.enabled.is_(True))
        return [self._view(row) for row in (await self._session.execute(statement)).scalars()]

    async def update(
        self,
        connection_id: int,
        *,
        config: dict[str, Any] | None = None,
        secrets: dict[str, str | SecretStr] | None = None,
        enabled: bool | None = None,
    ) -> PbxConnectionView:
        """Change a connection; secrets given replace the stored ones by name (others kept)."""
        row = await self._session.get(PbxConnection, connection_id)
        if row is None:
            raise LookupError(f"no PBX connection {connection_id}")
        if config is not None:
            row.config = config
        if secrets is not None:
            current = self._view(row).secrets
            row.secrets = self._encrypt({**current, **secrets})
        if enabled is not None:
            row.enabled = enabled
        row.updated_at = utcnow()
        await self._session.flush()
        return self._view(row)

    async def set_status(self, connection_id: int, status: str, detail: str | None = None) -> None:
        """Record what the adapter is doing (connected, retrying, auth failed, …)."""
        row = await self._session.get(PbxConnection, connection_id)
        if row is None:
            raise LookupError(f"no PBX connection {connection_id}")
        row.status = status
        row.status_detail = detail
        row.updated_at = utcnow()
        await self._session.flush()

    async def delete(self, connection_id: int) -> bool:
        row = await self._session.get(PbxConnection, connection_id)
        if row is None:
            return False
        await self._session.delete(row)
        await self._session.flush()
        return True
