"""Failed logins per (username, address) key: counted in a window, locked out past a limit.

Each change is one statement, atomic on SQLite and PostgreSQL alike, so processes sharing the
database share the count and the lockout.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import LoginFailure
from deskline.store.repositories._dialect import dialect_insert

FAILURES = cast(Table, LoginFailure.__table__)


async def locked_until(session: AsyncSession, key: str) -> datetime | None:
    result = await session.execute(select(FAILURES.c.locked_until).where(FAILURES.c.key == key))
    return result.scalar_one_or_none()


async def record_failure(
    session: AsyncSession,
    key: str,
    *,
    now: datetime,
    window: timedelta,
    max_failures: int,
    lockout: timedelta,
) -> datetime | None:
    """Count one failed login; the key is locked out (until the returned time) when it
    reached ``max_failures`` within ``window``."""
    insert: Any = dialect_insert(session, LoginFailure)
    stale = FAILURES.c.window_started <= now - window
    count = await session.execute(
        insert.values(key=key, failures=1, window_started=now, updated_at=now)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((stale, 1), else_=FAILURES.c.failures + 1),
                "window_started": case((stale, now), else_=FAILURES.c.window_started),
                "updated_at": now,
            },
        )
        .returning(FAILURES.c.failures)
    )
    if count.scalar_one() < max_failures:
        return None
    until = now + lockout
    await session.execute(
        update(FAILURES)
        .where(FAILURES.c.key == key)
        .values(failures=0, window_started=now, locked_until=until, updated_at=now)
    )
    return until


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(FAILURES).where(FAILURES.c.key == key))


async def prune(session: AsyncSession, *, now: datetime, idle_since: datetime) -> int:
    """Forget keys untouched since ``idle_since`` whose lockout, if any, is over."""
    result = await session.execute(
        delete(FAILURES).where(
            FAILURES.c.updated_at <= idle_since,
            (FAILURES.c.locked_until.is_(None)) | (FAILURES.c.locked_until <= now),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
