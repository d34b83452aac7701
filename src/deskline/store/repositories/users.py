"""Admin users and their API tokens. Only hashes are stored; hashing is the caller's job
(argon2 for passwords, a digest for tokens), so no plain secret reaches this module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import AdminUser, ApiToken
from deskline.store.types import utcnow


async def create_user(session: AsyncSession, username: str, password_hash: str) -> AdminUser:
    """Add an admin; ``ValueError`` if the username is taken."""
    if await user_by_username(session, username) is not None:
        raise ValueError(f"an admin named {username!r} exists already")
    user = AdminUser(username=username, password_hash=password_hash, created_at=utcnow())
    session.add(user)
    await session.flush()
    return user


async def user_by_username(session: AsyncSession, username: str) -> AdminUser | None:
    statement = select(AdminUser).where(AdminUser.username == username)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: int) -> AdminUser | None:
    return await session.get(AdminUser, user_id)


async def count_users(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(AdminUser))).scalar_one())


async def set_password_hash(session: AsyncSession, user_id: int, password_hash: str) -> None:
    user = await session.get(AdminUser, user_id)
    if user is None:
        raise LookupError(f"no admin user {user_id}")
    user.password_hash = password_hash
    await session.flush()


async def record_login(session: AsyncSession, user_id: int, at: datetime | None = None) -> None:
    user = await session.get(AdminUser, user_id)
    if user is not None:
        user.last_login_at = at or utcnow()
        await session.flush()


async def create_token(
    session: AsyncSession,
    user_id: int,
    name: str,
    token_hash: str,
    *,
    expires_at: datetime | None = None,
) -> ApiToken:
    token = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=token_hash,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token


async def token_by_hash(
    session: AsyncSession, token_hash: str, *, now: datetime | None = None
) -> ApiToken | None:
    """The unexpired token with this hash (None for unknown or expired tokens)."""
    now = now or utcnow()
    statement = select(ApiToken).where(ApiToken.token_hash == token_hash)
    token = (await session.execute(statement)).scalar_one_or_none()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


async def touch_token(session: AsyncSession, token_id: int, at: datetime | None = None) -> None:
    token = await session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = at or utcnow()
        await session.flush()


async def tokens_of(session: AsyncSession, user_id: int) -> list[ApiToken]:
    statement = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return list((await session.execute(statement)).scalars())


async def delete_token(session: AsyncSession, token_id: int) -> bool:
    token = await session.get(ApiToken, token_id)
    if token is None:
        return False
    await session.delete(token)
    await session.flush()
    return True
