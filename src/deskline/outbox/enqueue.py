"""Adding a job in the caller's transaction: the job commits with the state change that
caused it, or not at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import Job
from deskline.store.repositories.jobs import add_job, add_job_once

DEFAULT_PRIORITY = 0
DEFAULT_MAX_ATTEMPTS = 10


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
    return await add_job(
        session,
        kind=kind,
        payload=payload,
        ordering_key=ordering_key,
        idempotency_key=idempotency_key,
        priority=priority,
        run_after=run_after,
        max_attempts=max_attempts,
    )


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
    return job_id is not None


def _check(kind: str, max_attempts: int) -> None:
    if not kind:
        raise ValueError("a job needs a kind")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
