"""Integration settings stored as JSON values under string keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import SettingValue
from deskline.store.repositories._dialect import dialect_insert
from deskline.store.types import utcnow


async def get_setting(session: AsyncSession, key: str, default: Any = None) -> Any:
    row = await session.get(SettingValue, key)
    return default if row is None else row.value


async def settings_with_prefix(session: AsyncSession, prefix: str) -> dict[str, Any]:
    statement = select(SettingValue).where(SettingValue.key.startswith(prefix, autoescape=True))
    return {row.key: row.value for row in (await session.execute(statement)).scalars()}


async def put_setting(session: AsyncSession, key: str, value: Any) -> None:
    """Set a value (insert or replace, safe against a concurrent writer of the same key)."""
    statement = dialect_insert(session, SettingValue).values(
        key=key, value=value, updated_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
    await session.execute(statement)
    # the identity map may hold the old row
    session.expire_all()


async def delete_setting(session: AsyncSession, key: str) -> bool:
    result = await session.execute(delete(SettingValue).where(SettingValue.key == key))
    return bool(result.rowcount)  # type: ignore[attr-defined]
