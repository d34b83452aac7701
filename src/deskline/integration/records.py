"""The connection row and its encrypted part.

``helpdesk_connections.secrets`` is one encrypted JSON document::

    {"fields": {"client_secret": "…"},          # the template's password fields
     "tokens": {"access_token": "…", …},          # OAuthTokens.to_json(), once authorized
     "pending": {"state": "…", "verifier": "…",   # an authorization waiting for its callback
                 "redirect_uri": "…", "expires_at": 1700000000.0,
                 "fields": {…}}}                    # the values entered for it

There is at most one connection row (F5): :func:`current_connection` returns it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.connector.tokens import OAuthTokens
from deskline.crypto import SecretBox
from deskline.errors import ConfigurationError
from deskline.store.models import HelpdeskConnection


class ConnectionStatus(StrEnum):
    AUTHORIZING = "authorizing"  # waiting for the OAuth callback of the first authorization
    CONNECTED = "connected"
    NEEDS_REAUTH = "needs_reauth"  # the helpdesk refused our tokens: authorize again


@dataclass(frozen=True)
class PendingAuthorization:
    """What deskline keeps between sending the browser away and the callback."""

    state: str = field(repr=False)
    redirect_uri: str
    expires_at: float
    verifier: str | None = field(default=None, repr=False)
    #: the field values entered for this authorization (applied once it succeeds)
    fields: dict[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "redirect_uri": self.redirect_uri,
            "expires_at": self.expires_at,
            "verifier": self.verifier,
            "fields": dict(self.fields),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingAuthorization:
        return cls(
            state=str(data["state"]),
            redirect_uri=str(data["redirect_uri"]),
            expires_at=float(data["expires_at"]),
            verifier=str(data["verifier"]) if data.get("verifier") else None,
            fields={str(k): str(v) for k, v in (data.get("fields") or {}).items()},
        )


@dataclass
class ConnectionSecrets:
    """The decrypted ``secrets`` of a connection."""

    fields: dict[str, str] = field(default_factory=dict, repr=False)
    tokens: OAuthTokens | None = None
    pending: PendingAuthorization | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": dict(self.fields),
            "tokens": self.tokens.to_json() if self.tokens else None,
            "pending": self.pending.to_json() if self.pending else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConnectionSecrets:
        fields = data.get("fields") or {}
        tokens = data.get("tokens")
        pending = data.get("pending")
        return cls(
            fields={str(k): str(v) for k, v in fields.items()},
            tokens=OAuthTokens.from_json(tokens) if isinstance(tokens, dict) else None,
            pending=PendingAuthorization.from_json(pending) if isinstance(pending, dict) else None,
        )


def read_secrets(box: SecretBox, row: HelpdeskConnection) -> ConnectionSecrets:
    if not row.secrets:
        return ConnectionSecrets()
    try:
        data = json.loads(box.decrypt(row.secrets))
    except ValueError as exc:
        raise ConfigurationError(f"the stored helpdesk secrets are unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError("the stored helpdesk secrets are unreadable")
    return ConnectionSecrets.from_json(data)


def write_secrets(box: SecretBox, row: HelpdeskConnection, secrets: ConnectionSecrets) -> None:
    row.secrets = box.encrypt(json.dumps(secrets.to_json()))


async def current_connection(
    session: AsyncSession, *, for_update: bool = False
) -> HelpdeskConnection | None:
    """The (only) helpdesk connection, or None; ``for_update`` locks it (PostgreSQL)."""
    statement = select(HelpdeskConnection).order_by(HelpdeskConnection.id).limit(1)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def connection_by_id(
    session: AsyncSession, connection_id: int, *, for_update: bool = False
) -> HelpdeskConnection | None:
    statement = select(HelpdeskConnection).where(HelpdeskConnection.id == connection_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()
