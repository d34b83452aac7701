"""Admin accounts and API tokens: argon2 password hashes, high-entropy tokens stored hashed.

Passwords are hashed with argon2id (argon2-cffi); a hash made with older parameters is
replaced at the next successful login. API tokens are random (256 bits), shown once and
stored as their SHA-256 digest: enough for a secret that cannot be guessed, and fast to look
up on every request.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import AdminUser
from deskline.store.repositories import users

TOKEN_PREFIX = "dl_"
MIN_PASSWORD_LENGTH = 10


class Passwords:
    """Hashing and checking admin passwords."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def __repr__(self) -> str:
        return "Passwords(argon2id)"

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)

    def waste_time(self, password: str) -> None:
        """Do the work of a verification for an unknown user, so timing tells nothing."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        self.verify(self._dummy, password)


def check_password_strength(password: str) -> None:
    """``ValueError`` for a password too weak to protect the admin."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def generate_password() -> str:
    """A strong random password (about 144 bits), easy to copy."""
    return secrets.token_urlsafe(18)


def new_api_token() -> tuple[str, str]:
    """(the token shown once, the digest stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def ensure_admin(
    session: AsyncSession, passwords: Passwords, username: str, password: str | None
) -> str | None:
    """Create the first admin if there is no admin at all.

    Returns the password when it was generated here (to be shown once), else None."""
    if await users.count_users(session) > 0:
        return None
    generated = None
    if password is None:
        generated = password = generate_password()
    else:
        check_password_strength(password)
    await users.create_user(session, username, passwords.hash(password))
    return generated


async def set_password(
    session: AsyncSession, passwords: Passwords, username: str, password: str
) -> AdminUser:
    """Set (or create) an admin's password; ``ValueError`` for a weak password."""
    check_password_strength(password)
    user = await users.user_by_username(session, username)
    if user is None:
        return await users.create_user(session, username, passwords.hash(password))
    await users.set_password_hash(session, user.id, passwords.hash(password))
    return user
