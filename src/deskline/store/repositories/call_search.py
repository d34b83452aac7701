"""Finding stored calls for the admin: filters by direction, status, time, number, extension.

Newest first, paged by a cursor (the last id seen: ``before_id``), so new calls arriving
between two pages never shift or repeat rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import CallRecord

IN_PROGRESS = "in_progress"
"""The status filter for calls not decided yet (their ``status`` is empty)."""


@dataclass(frozen=True)
class CallFilter:
    direction: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    numbers: Sequence[str] = ()
    """Any of these numbers as caller or callee (the forms a number may be stored in)."""
    extension: str | None = None
    """The extension that answered, called or was called."""
    source: str | None = None


def _filtered(statement: Select[CallRecord], where: CallFilter) -> Select[CallRecord]:
    if where.direction is not None:
        statement = statement.where(CallRecord.direction == where.direction)
    if where.status == IN_PROGRESS:
        statement = statement.where(CallRecord.status.is_(None))
    elif where.status is not None:
        statement = statement.where(CallRecord.status == where.status)
    if where.since is not None:
        statement = statement.where(CallRecord.started_at >= where.since)
    if where.until is not None:
        statement = statement.where(CallRecord.started_at < where.until)
    if where.numbers:
        numbers = list(where.numbers)
        statement = statement.where(
            or_(CallRecord.caller_number.in_(numbers), CallRecord.callee_number.in_(numbers))
        )
    if where.extension is not None:
        ext = where.extension
        statement = statement.where(
            or_(
                CallRecord.answered_by == ext,
                CallRecord.caller_number == ext,
                CallRecord.callee_number == ext,
            )
        )
    if where.source is not None:
        statement = statement.where(CallRecord.source == where.source)
    return statement


async def search_calls(
    session: AsyncSession, where: CallFilter, *, limit: int = 50, before_id: int | None = None
) -> list[CallRecord]:
    """Up to ``limit`` matching calls, newest (highest id) first, older than ``before_id``."""
    statement = select(CallRecord).order_by(CallRecord.id.desc()).limit(limit)
    if before_id is not None:
        statement = statement.where(CallRecord.id < before_id)
    return list((await session.execute(_filtered(statement, where))).scalars())
