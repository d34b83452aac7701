"""The outbox worker and the budget: a job held back by the budget is deferred, not failed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from deskline.budget import BudgetExhausted, Priority, current_priority
from deskline.errors import JobError
from deskline.observability.context import current_call_id
from deskline.observability.metrics import REGISTRY
from deskline.outbox import (
    ClaimedJob,
    JobContext,
    JobState,
    RetryPolicy,
    Worker,
    WorkerOptions,
    attempts_of,
    enqueue,
    get_job,
    register_handler,
    unregister_handler,
)
from deskline.store.db import Database
from deskline.store.types import utcnow

FAST = WorkerOptions(poll_seconds=0.02, lease_seconds=5, retry=RetryPolicy(0, 0))
KIND = "helpdesk.ticket.create"


@pytest.fixture
def kinds() -> Iterator[list[str]]:
    registered: list[str] = []
    yield registered
    for kind in registered:
        unregister_handler(kind)


async def add_job(db: Database, payload: dict[str, object], max_attempts: int = 1) -> int:
    async with db.transaction() as session:
        job = await enqueue(session, KIND, payload, max_attempts=max_attempts)
        return job.id


def deferred_count() -> float:
    labels = {"kind": KIND, "outcome": "deferred"}
    return REGISTRY.get_sample_value("deskline_job_attempts_total", labels) or 0


async def test_a_budget_wait_reschedules_without_using_an_attempt(
    db: Database, kinds: list[str]
) -> None:
    runs: list[int] = []

    async def handler(job: ClaimedJob, context: JobContext) -> str:
        runs.append(job.attempt)
        if len(runs) == 1:
            raise BudgetExhausted("helpdesk:1", 0.0)
        if len(runs) == 2:  # wrapped by the handler's own error handling: still a wait
            raise JobError("could not create the ticket") from BudgetExhausted("helpdesk:1", 0)
        return "ticket 7"

    register_handler(KIND, handler, replace=True)
    kinds.append(KIND)
    before = deferred_count()
    job_id = await add_job(db, {}, max_attempts=1)  # a counted failure would end it
    worker = Worker(db, "w1", FAST)
    while await worker.run_once():
        pass
    async with db.read() as session:
        job = await get_job(session, job_id)
        attempts = await attempts_of(session, job_id)
    assert job is not None and job.state == JobState.SUCCEEDED
    assert runs == [1, 1, 1]  # every run was attempt number 1
    assert [a.outcome for a in attempts] == ["succeeded"]
    assert deferred_count() == before + 2


async def test_a_deferred_job_waits_for_the_budget(db: Database, kinds: list[str]) -> None:
    async def handler(job: ClaimedJob, context: JobContext) -> str:
        raise BudgetExhausted("helpdesk:1", 30.0)

    register_handler(KIND, handler, replace=True)
    kinds.append(KIND)
    job_id = await add_job(db, {}, max_attempts=3)
    worker = Worker(db, "w1", FAST)
    assert await worker.run_once() is True
    assert await worker.run_once() is False  # not due before the budget has room
    async with db.read() as session:
        job = await get_job(session, job_id)
        attempts = await attempts_of(session, job_id)
    assert job is not None
    assert (job.state, job.attempts, job.locked_by) == (JobState.PENDING, 0, None)
    assert job.run_after >= utcnow() + timedelta(seconds=29)
    assert attempts == []


async def test_a_job_runs_with_its_call_id_and_the_priority_of_its_kind(
    db: Database, kinds: list[str]
) -> None:
    seen: list[tuple[Priority, str | None]] = []

    async def handler(job: ClaimedJob, context: JobContext) -> None:
        seen.append((current_priority(), current_call_id()))

    register_handler(KIND, handler, replace=True)
    kinds.append(KIND)
    await add_job(db, {"call_id": "call-7"})
    await Worker(db, "w1", FAST).run_once()
    assert seen == [(Priority.TICKET, "call-7")]
    assert current_call_id() is None
