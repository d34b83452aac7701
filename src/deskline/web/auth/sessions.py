"""Signed, expiring admin sessions.

A session is a value signed with a key derived from deskline's secret key (itsdangerous):
``{"u": user id, "e": session epoch}``. It travels as an HttpOnly, SameSite=Lax cookie for
browsers, or as ``Authorization: Bearer <session>`` for scripts. The user's *epoch* is kept in
the database; logging out (or changing the password) increments it, which ends every session
of that admin at once, in every process.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.crypto import derive_key
from deskline.store.repositories.settings import get_setting, put_setting


@dataclass(frozen=True)
class AuthOptions:
    session_max_age_seconds: int = 12 * 3600
    cookie_name: str = "deskline_session"
    secure_cookie: bool = False
    """Send the cookie over HTTPS only (set when deskline's public URL is https)."""
    max_failures: int = 5
    """Failed logins per username and address before a lockout."""
    failure_window_seconds: float = 15 * 60
    lockout_seconds: float = 5 * 60
    failure_delay_seconds: float = 0.5
    """Pause before answering a failed login."""


@dataclass(frozen=True)
class SessionClaims:
    user_id: int
    epoch: int


class SessionCodec:
    """Signs and checks session values."""

    def __init__(self, secret_key: bytes, max_age_seconds: int) -> None:
        key = derive_key(secret_key, "deskline-admin-sessions")
        self._serializer = URLSafeTimedSerializer(key, salt="deskline.session")
        self.max_age_seconds = max_age_seconds

    def __repr__(self) -> str:
        return f"SessionCodec(max_age={self.max_age_seconds})"

    def encode(self, claims: SessionClaims) -> str:
        return str(self._serializer.dumps({"u": claims.user_id, "e": claims.epoch}))

    def decode(self, value: str) -> SessionClaims | None:
        """The claims of a valid, unexpired session value (None otherwise)."""
        try:
            data = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadSignature:  # includes SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        user_id, epoch = data.get("u"), data.get("e")
        if not isinstance(user_id, int) or not isinstance(epoch, int):
            return None
        return SessionClaims(user_id, epoch)


def _epoch_key(user_id: int) -> str:
    return f"auth.session_epoch.{user_id}"


async def session_epoch(session: AsyncSession, user_id: int) -> int:
    value = await get_setting(session, _epoch_key(user_id), 0)
    return int(value) if isinstance(value, int) else 0


async def end_sessions(session: AsyncSession, user_id: int) -> None:
    """End every session of an admin (logout, password change)."""
    await put_setting(session, _epoch_key(user_id), await session_epoch(session, user_id) + 1)
