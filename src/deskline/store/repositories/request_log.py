"""The helpdesk request log (F32): a call's requests, and a connection's recent outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import HelpdeskRequestLog


async def requests_of_call(
    session: AsyncSession, source: str, call_id: str, *, limit: int = 500
) -> list[HelpdeskRequestLog]:
    """Every helpdesk request sent for one call, in the order they were sent."""
    statement = (
        select(HelpdeskRequestLog)
        .where(HelpdeskRequestLog.source == source, HelpdeskRequestLog.pbx_call_id == call_id)
        .order_by(HelpdeskRequestLog.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


@dataclass(frozen=True)
class RecentRequests:
    """How a connection's requests went since some time."""

    by_outcome: dict[str, int] = field(default_factory=dict)
    last: HelpdeskRequestLog | None = None
    """The latest request (None: none since then)."""
    last_failure: HelpdeskRequestLog | None = None
    """The latest request that did not succeed."""


async def recent_requests(
    session: AsyncSession, connection_id: int, since: datetime
) -> RecentRequests:
    where = (HelpdeskRequestLog.connection_id == connection_id, HelpdeskRequestLog.at >= since)
    counts = await session.execute(
        select(HelpdeskRequestLog.outcome, func.count()).where(*where).group_by("outcome")
    )
    newest = select(HelpdeskRequestLog).where(*where).order_by(HelpdeskRequestLog.id.desc())
    last = (await session.execute(newest.limit(1))).scalar_one_or_none()
    failed = newest.where(HelpdeskRequestLog.outcome.not_in(("success", "skipped")))
    last_failure = (await session.execute(failed.limit(1))).scalar_one_or_none()
    return RecentRequests({o: int(n) for o, n in counts}, last, last_failure)
