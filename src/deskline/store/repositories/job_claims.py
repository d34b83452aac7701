"""The worker's side of the outbox: claim a due job under a lease, renew it, finish it.

Claiming is safe with several workers on both dialects: PostgreSQL locks the candidate row
with ``FOR UPDATE SKIP LOCKED``; on SQLite the claim runs in a write transaction
(``BEGIN IMMEDIATE``), which only one connection can hold. Either way the claim commits
``state=running`` with ``locked_by`` and ``locked_until`` (the lease) before the job runs.

Order per key: a job is not claimable while an earlier job (smaller id) with the same
``ordering_key`` is pending or running. ``updated_at`` is the time of the job's last state
change (claim, finish); renewing a lease does not move it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    bindparam,
    exists,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.direct import DirectStatement, DirectStatements, bound, listed, spread
from deskline.store.direct_transaction import Statements, dialect_name, orm_session
from deskline.store.models import AttemptOutcome, Job, JobAttempt, JobState
from deskline.store.types import utcnow

JOBS = cast(Table, Job.__table__)
"""Jobs are claimed and updated with Core statements on the table: no ORM objects of the jobs
are in these sessions to keep in sync, and the ORM's loading and bulk-update paths cost more
than the SQL."""
ATTEMPTS = cast(Table, JobAttempt.__table__)

UNFINISHED = (JobState.PENDING.value, JobState.RUNNING.value)
DETAIL_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job a worker holds the lease of: what its handler needs to know."""

    id: int
    kind: str
    payload: dict[str, object]
    attempt: int
    max_attempts: int
    ordering_key: str | None
    idempotency_key: str | None
    claimed_at: datetime


def _postgres(on: Statements) -> bool:
    return dialect_name(on) == "postgresql"


def truncate(text: str | None, limit: int = DETAIL_LIMIT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


async def recover_expired_leases(session: AsyncSession, now: datetime) -> int:
    """Return jobs whose worker stopped renewing its lease to the queue (or fail them).

    The lost attempt is recorded (``lease_expired``); a job that used up its attempts this
    way fails instead of killing worker after worker.
    """
    statement = select(Job).where(Job.state == JobState.RUNNING.value, Job.locked_until < now)
    if _postgres(session):
        statement = statement.with_for_update(skip_locked=True)
    expired = list((await session.execute(statement)).scalars())
    for job in expired:
        exhausted = job.attempts >= job.max_attempts
        message = f"worker {job.locked_by} stopped renewing its lease"
        session.add(
            JobAttempt(
                job_id=job.id,
                number=job.attempts,
                worker=job.locked_by or "?",
                started_at=job.updated_at,
                finished_at=now,
                outcome=AttemptOutcome.LEASE_EXPIRED.value,
                detail=message,
                duration_ms=max(0, int((now - job.updated_at).total_seconds() * 1000)),
            )
        )
        job.state = JobState.FAILED.value if exhausted else JobState.PENDING.value
        job.finished_at = now if exhausted else None
        job.locked_by = None
        job.locked_until = None
        job.run_after = now
        job.last_error = message
        job.updated_at = now
    await session.flush()
    return len(expired)


_EARLIER = JOBS.alias("earlier")


def _claim(due: ColumnElement[bool]) -> Select[Any]:
    """The most urgent ``limit`` jobs that are ``due`` and first of their ordering key."""
    return (
        select(
            JOBS.c.id,
            JOBS.c.kind,
            JOBS.c.payload,
            JOBS.c.attempts,
            JOBS.c.max_attempts,
            JOBS.c.ordering_key,
            JOBS.c.idempotency_key,
        )
        .where(
            JOBS.c.state == JobState.PENDING.value,
            due,
            ~exists().where(
                _EARLIER.c.ordering_key == JOBS.c.ordering_key,
                _EARLIER.c.id < JOBS.c.id,
                _EARLIER.c.state.in_([literal(state) for state in UNFINISHED]),  # not expanding
            ),
        )
        .order_by(JOBS.c.priority.desc(), JOBS.c.id)
        .limit(bindparam("limit", type_=Integer))
    )


_CLAIM_LOCKING = _claim(JOBS.c.run_after <= bindparam("now")).with_for_update(
    skip_locked=True, of=JOBS
)
_DUE = DirectStatement(
    # SQLite: the unary + keeps its planner off (state, run_after), whose range it prefers
    # without statistics; it walks ix_jobs_state_priority_id in the claim's order instead and
    # stops at the limit (a backlog of 1,000 due jobs: 0.8 ms per claim before, 0.08 after)
    _claim(literal_column("+jobs.run_after", JOBS.c.run_after.type) <= bindparam("now"))
)
_TAKE = DirectStatements(
    lambda count: (
        update(JOBS)
        .where(JOBS.c.id.in_(listed("job", count)))
        .values(
            state=JobState.RUNNING.value,
            attempts=JOBS.c.attempts + 1,
            locked_by=bindparam("worker"),
            locked_until=bindparam("until"),
            updated_at=bindparam("now"),
        )
    )
)
"""Core statements built once (on SQLite run on the driver: :mod:`deskline.store.direct`): the
ORM's version (an aliased entity per claim, loaded rows, a flush) made thousands of objects of
cyclic garbage a second, and the young-generation collections that freed them stopped the loop
for milliseconds."""


async def claim_due(
    session: Statements,
    worker_id: str,
    *,
    limit: int,
    lease_seconds: float,
    now: datetime | None = None,
) -> list[ClaimedJob]:
    """Claim up to ``limit`` due jobs, most urgent first, in two statements (the due jobs,
    then their lease; on PostgreSQL their rows are locked, skipping those another worker is
    claiming).

    Jobs claimed together never share an ordering key: a job is only due when no earlier
    job of its key is pending or running, so only the first unfinished job of a key can be."""
    now = now or utcnow()
    if _postgres(session):
        orm = await orm_session(session)  # (a session there: direct transactions are SQLite's)
        rows: Sequence[Any] = (
            await orm.execute(_CLAIM_LOCKING, {"now": now, "limit": limit})
        ).all()
    else:
        rows = (await _DUE.execute(session, {"now": now, "limit": limit})).rows
    if not rows:
        return []
    until = now + timedelta(seconds=lease_seconds)
    await _TAKE(len(rows)).execute(
        session,
        {"worker": worker_id, "until": until, "now": now, **spread("job", [r.id for r in rows])},
    )
    return [
        ClaimedJob(
            id=row.id,
            kind=row.kind,
            payload=dict(row.payload),
            attempt=row.attempts + 1,
            max_attempts=row.max_attempts,
            ordering_key=row.ordering_key,
            idempotency_key=row.idempotency_key,
            claimed_at=now,
        )
        for row in rows
    ]


def _held_by(job: ClaimedJob, worker_id: str) -> list[object]:
    """The job is still this worker's attempt: the fence against a lease taken over."""
    return [
        Job.id == job.id,
        Job.state == JobState.RUNNING.value,
        Job.locked_by == worker_id,
        Job.attempts == job.attempt,
    ]


async def renew_lease(
    session: AsyncSession, job: ClaimedJob, worker_id: str, *, lease_seconds: float
) -> bool:
    """Extend the lease; False when the job is no longer this worker's (lease lost)."""
    until = utcnow() + timedelta(seconds=lease_seconds)
    statement = (
        update(JOBS)
        .where(*_held_by(job, worker_id))  # type: ignore[arg-type]
        .values(locked_until=until, updated_at=Job.updated_at)
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _finishing(**values: object) -> DirectStatement:
    """The fenced update that moves a held job on (see :func:`_held_by`)."""
    return DirectStatement(
        update(JOBS)
        .where(
            JOBS.c.id == bindparam("job_id"),
            JOBS.c.state == JobState.RUNNING.value,
            JOBS.c.locked_by == bindparam("worker"),
            JOBS.c.attempts == bindparam("attempt"),
        )
        .values(
            locked_by=None,
            locked_until=None,
            updated_at=bindparam("now"),
            waiting_for=bindparam("waiting_for"),
            last_error=bindparam("error"),
            **values,
        )
    )


_FINISHED = {
    AttemptOutcome.SUCCEEDED: _finishing(
        state=JobState.SUCCEEDED.value, finished_at=bindparam("now")
    ),
    AttemptOutcome.RETRY: _finishing(state=JobState.PENDING.value, run_after=bindparam("retry_at")),
    AttemptOutcome.FAILED: _finishing(state=JobState.FAILED.value, finished_at=bindparam("now")),
}
_ATTEMPT = DirectStatement(
    insert(ATTEMPTS).values(
        bound(
            "job_id",
            "number",
            "worker",
            "started_at",
            "finished_at",
            "outcome",
            "detail",
            "duration_ms",
        )
    )
)
"""Built once, run on the driver (:mod:`deskline.store.direct`): every job finishes so."""


async def finish_attempt(
    session: Statements,
    job: ClaimedJob,
    worker_id: str,
    *,
    outcome: AttemptOutcome,
    detail: str | None,
    retry_at: datetime | None = None,
    waiting_for: str | None = None,
) -> bool:
    """Record the attempt and move the job on (succeeded / pending again / failed);
    ``waiting_for``: the service whose unavailability made a retry necessary.

    Returns False, recording nothing, when the lease was lost meanwhile (another worker
    recovered the job): the attempt's result no longer decides the job.
    """
    now = utcnow()
    retry = outcome is AttemptOutcome.RETRY
    finished = await _FINISHED.get(outcome, _FINISHED[AttemptOutcome.FAILED]).execute(
        session,
        {
            "job_id": job.id,
            "worker": worker_id,
            "attempt": job.attempt,
            "now": now,
            "waiting_for": waiting_for if retry else None,
            "error": None if outcome is AttemptOutcome.SUCCEEDED else truncate(detail),
            "retry_at": retry_at or now,
        },
    )
    if not finished.rowcount:
        return False
    await _ATTEMPT.execute(
        session,
        {
            "job_id": job.id,
            "number": job.attempt,
            "worker": worker_id,
            "started_at": job.claimed_at,
            "finished_at": now,
            "outcome": outcome.value,
            "detail": truncate(detail),
            "duration_ms": max(0, int((now - job.claimed_at).total_seconds() * 1000)),
        },
    )
    return True


async def make_due_now(session: AsyncSession, *criteria: ColumnElement[bool]) -> int:
    """Pending jobs matching ``criteria`` whose ``run_after`` is still ahead become due now;
    returns how many (jobs running, finished or already due are left alone)."""
    now = utcnow()
    result = await session.execute(
        update(JOBS)
        .where(JOBS.c.state == JobState.PENDING.value, JOBS.c.run_after > now, *criteria)
        .values(run_after=now, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def defer_attempt(
    session: AsyncSession, job: ClaimedJob, worker_id: str, *, run_at: datetime
) -> bool:
    """Put a claimed job back in the queue until ``run_at`` without counting the attempt:
    it was held back before reaching the helpdesk (the request budget had no room), so it
    records no attempt and does not use up ``max_attempts``. False when the lease was lost."""
    statement = (
        update(JOBS)
        .where(*_held_by(job, worker_id))  # type: ignore[arg-type]
        .values(
            state=JobState.PENDING.value,
            attempts=job.attempt - 1,
            run_after=run_at,
            locked_by=None,
            locked_until=None,
            updated_at=utcnow(),
        )
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
