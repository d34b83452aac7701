"""Outbox jobs: adding them (idempotently), listing them and their attempts, retrying them.

Claiming and finishing jobs (the worker's side) lives in :mod:`.job_claims`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.direct import DirectStatement, bound
from deskline.store.models import Job, JobAttempt, JobState
from deskline.store.repositories._dialect import insert_of
from deskline.store.types import utcnow


async def add_job(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    ordering_key: str | None = None,
    idempotency_key: str | None = None,
    priority: int = 0,
    run_after: datetime | None = None,
    max_attempts: int = 10,
) -> Job:
    """Add a pending job in the session's transaction.

    With an ``idempotency_key`` that a job already has, no job is added and that job is
    returned (safe under concurrency: the unique key decides, ``ON CONFLICT DO NOTHING``).
    """
    row = _job_row(kind, payload, ordering_key, idempotency_key, priority, run_after, max_attempts)
    if idempotency_key is None:
        job = Job(**row)
        session.add(job)
        await session.flush()
        return job
    job_id = await _insert_once(session, row)
    if job_id is None:
        existing = await find_by_idempotency_key(session, idempotency_key)
        assert existing is not None  # the conflict was with this row
        return existing
    added = await session.get(Job, job_id)
    assert added is not None
    return added


async def add_job_once(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    idempotency_key: str,
    ordering_key: str | None = None,
    priority: int = 0,
    run_after: datetime | None = None,
    max_attempts: int = 10,
) -> int | None:
    """Like :func:`add_job` with an idempotency key, in one statement: the new job's id, or
    None when a job with that key exists already (nothing is loaded either way)."""
    row = _job_row(kind, payload, ordering_key, idempotency_key, priority, run_after, max_attempts)
    return await _insert_once(session, row)


def _job_row(
    kind: str,
    payload: dict[str, Any],
    ordering_key: str | None,
    idempotency_key: str | None,
    priority: int,
    run_after: datetime | None,
    max_attempts: int,
) -> dict[str, Any]:
    now = utcnow()
    return {
        "kind": kind,
        "payload": payload,
        "ordering_key": ordering_key,
        "idempotency_key": idempotency_key,
        "priority": priority,
        "state": JobState.PENDING.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": run_after or now,
        "created_at": now,
        "updated_at": now,
    }


def _insert_once_statement(dialect: str) -> Any:
    jobs = Job.__table__
    return (
        insert_of(dialect, jobs)
        .values(
            bound(
                "kind",
                "payload",
                "ordering_key",
                "idempotency_key",
                "priority",
                "state",
                "attempts",
                "max_attempts",
                "run_after",
                "created_at",
                "updated_at",
            )
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(jobs.c.id)
    )


_INSERT_ONCE = DirectStatement(_insert_once_statement)
"""Built once per dialect, run on the driver (:mod:`deskline.store.direct`): every call's
jobs are added so."""


async def _insert_once(session: AsyncSession, row: dict[str, Any]) -> int | None:
    job_id: int | None = (await _INSERT_ONCE.execute(session, row)).scalar()
    return job_id


async def find_by_idempotency_key(session: AsyncSession, key: str) -> Job | None:
    statement = select(Job).where(Job.idempotency_key == key)
    return (await session.execute(statement)).scalar_one_or_none()


_STATE_BY_KEY = select(Job.state).where(Job.idempotency_key == bindparam("key"))


async def job_state_by_idempotency_key(session: AsyncSession, key: str) -> str | None:
    """The state of the job with this idempotency key (None: there is none); nothing loaded."""
    state = (await session.execute(_STATE_BY_KEY, {"key": key})).scalar_one_or_none()
    return None if state is None else str(state)


async def get_job(session: AsyncSession, job_id: int) -> Job | None:
    return await session.get(Job, job_id)


async def list_jobs(
    session: AsyncSession,
    *,
    state: JobState | None = None,
    ordering_key: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[Job]:
    """Newest jobs first, optionally of one state / ordering key (e.g. one call) / kind."""
    statement = select(Job).order_by(Job.id.desc()).limit(limit)
    if state is not None:
        statement = statement.where(Job.state == state.value)
    if ordering_key is not None:
        statement = statement.where(Job.ordering_key == ordering_key)
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    if before_id is not None:
        statement = statement.where(Job.id < before_id)
    return list((await session.execute(statement)).scalars())


async def attempts_of(session: AsyncSession, job_id: int) -> list[JobAttempt]:
    """Every recorded attempt of a job, first to last."""
    statement = select(JobAttempt).where(JobAttempt.job_id == job_id).order_by(JobAttempt.number)
    return list((await session.execute(statement)).scalars())


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    """How many jobs are in each state (for metrics and the dashboard)."""
    statement = select(Job.state, func.count()).group_by(Job.state)
    counts = {state.value: 0 for state in JobState}
    for state, count in await session.execute(statement):
        counts[state] = count
    return counts


async def retry_job(session: AsyncSession, job_id: int, *, extra_attempts: int = 1) -> Job:
    """Put a failed job back in the queue now, with ``extra_attempts`` more attempts.

    Raises ``LookupError`` for an unknown job and ``ValueError`` for a job that has not failed.
    """
    job = await session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise LookupError(f"no job {job_id}")
    if job.state != JobState.FAILED.value:
        raise ValueError(f"job {job_id} is {job.state}; only failed jobs can be retried")
    now = utcnow()
    job.state = JobState.PENDING.value
    job.max_attempts = job.attempts + extra_attempts
    job.run_after = now
    job.finished_at = None
    job.updated_at = now
    await session.flush()
    return job
