"""Adding a job in the caller's transaction: the job commits with the state change that
caused it, or not at all.

On PostgreSQL a job that is due at once also notifies :data:`JOBS_CHANNEL` (on commit), so
idle workers in other processes claim it at once instead of at their next poll."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import Job
from deskline.store.notices import notify
from deskline.store.repositories.jobs import add_job, add_job_once
from deskline.store.types import utcnow

DEFAULT_PRIORITY = 0
DEFAULT_MAX_ATTEMPTS = 10
JOBS_CHANNEL = "deskline_jobs"


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    ordering_key: str | None = None,
    idempotency_key: str | None = None,
    priority: int = DEFAULT_PRIORITY,
    run_after: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a job to run after commit.

    ``ordering_key`` (e.g. ``call:<source>:<id>``): jobs with the same key run one after
    the other, in the order they were enqueued. ``idempotency_key``: a job with this key
    exists already → nothing is added and that job is returned. Higher ``priority`` runs
    first among due jobs.
    """
    _check(kind, max_attempts)
    job = await add_job(
        session,
        kind=kind,
        payload=payload,
        ordering_key=ordering_key,
        idempotency_key=idempotency_key,
        priority=priority,
        run_after=run_after,
        max_attempts=max_attempts,
    )
    await _announce(session, run_after)
    return job


async def enqueue_once(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    idempotency_key: str,
    ordering_key: str | None = None,
    priority: int = DEFAULT_PRIORITY,
    run_after: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> bool:
    """Add a job unless one with ``idempotency_key`` exists (one statement, nothing loaded);
    True when this call added it."""
    _check(kind, max_attempts)
    job_id = await add_job_once(
        session,
        kind=kind,
        payload=payload,
        idempotency_key=idempotency_key,
        ordering_key=ordering_key,
        priority=priority,
        run_after=run_after,
        max_attempts=max_attempts,
    )
    if job_id is None:
        return False
    await _announce(session, run_after)
    return True


async def _announce(session: AsyncSession, run_after: datetime | None) -> None:
    """Wake the other processes' idle workers when the transaction commits (PostgreSQL)."""
    if run_after is None or run_after <= utcnow():
        await notify(session, JOBS_CHANNEL)


def _check(kind: str, max_attempts: int) -> None:
    if not kind:
        raise ValueError("a job needs a kind")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
