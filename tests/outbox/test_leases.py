"""Leases: a dead worker's job runs again; a worker that lost its lease cannot decide the job."""

from __future__ import annotations

import asyncio
from pathlib import Path

from deskline.outbox import (
    AttemptOutcome,
    ClaimedJob,
    JobContext,
    JobState,
    RetryPolicy,
    Worker,
    WorkerOptions,
    attempts_of,
    enqueue,
    get_job,
    run_worker,
)
from deskline.settings import load_settings
from deskline.store.db import Database
from deskline.store.repositories import job_claims
from tests.outbox.conftest import HandlerRegistry

FAST = WorkerOptions(poll_seconds=0.02, lease_seconds=5, retry=RetryPolicy(0, 0))


async def _add(db: Database, max_attempts: int = 10) -> int:
    async with db.transaction() as session:
        return (await enqueue(session, "test.echo", {}, max_attempts=max_attempts)).id


async def _claim_and_die(db: Database, worker_id: str) -> ClaimedJob:
    """A worker claims a job with a very short lease and is never heard of again."""
    async with db.transaction() as session:
        (claimed,) = await job_claims.claim_due(session, worker_id, limit=1, lease_seconds=0.01)
    await asyncio.sleep(0.05)  # the lease runs out
    return claimed


async def test_a_job_whose_lease_expired_runs_again(db: Database) -> None:
    job_id = await _add(db)
    await _claim_and_die(db, "dead-worker")

    assert await Worker(db, "w2", FAST).run_once() is True

    async with db.read() as session:
        job = await get_job(session, job_id)
        attempts = await attempts_of(session, job_id)
    assert job is not None and job.state == JobState.SUCCEEDED
    assert [(a.number, a.worker, a.outcome) for a in attempts] == [
        (1, "dead-worker", AttemptOutcome.LEASE_EXPIRED),
        (2, "w2", AttemptOutcome.SUCCEEDED),
    ]


async def test_a_job_that_keeps_killing_workers_fails_after_max_attempts(db: Database) -> None:
    job_id = await _add(db, max_attempts=1)
    await _claim_and_die(db, "dead-worker")

    assert await Worker(db, "w2", FAST).run_once() is False

    async with db.read() as session:
        job = await get_job(session, job_id)
    assert job is not None and job.state == JobState.FAILED
    assert job.last_error == "worker dead-worker stopped renewing its lease"


async def test_a_worker_that_lost_its_lease_cannot_record_a_result(db: Database) -> None:
    job_id = await _add(db)
    stale = await _claim_and_die(db, "slow-worker")
    await Worker(db, "w2", FAST).run_once()  # recovers and completes the job

    async with db.transaction() as session:
        recorded = await job_claims.finish_attempt(
            session, stale, "slow-worker", outcome=AttemptOutcome.FAILED, detail="late"
        )
    async with db.transaction() as session:
        renewed = await job_claims.renew_lease(session, stale, "slow-worker", lease_seconds=60)

    assert recorded is False
    assert renewed is False
    async with db.read() as session:
        job = await get_job(session, job_id)
        outcomes = [a.outcome for a in await attempts_of(session, job_id)]
    assert job is not None and job.state == JobState.SUCCEEDED
    assert outcomes == ["lease_expired", "succeeded"]


async def test_a_running_job_keeps_its_lease(db: Database, handlers: HandlerRegistry) -> None:
    """A job running longer than its lease is renewed, so nobody else takes it."""
    release = asyncio.Event()
    runs: list[str] = []

    async def long_job(job: ClaimedJob, context: JobContext) -> None:
        runs.append(context.worker_id)
        await release.wait()

    handlers.add("test.long", long_job)
    async with db.transaction() as session:
        job_id = (await enqueue(session, "test.long", {})).id
    short_lease = WorkerOptions(poll_seconds=0.02, lease_seconds=0.15)
    first = asyncio.create_task(Worker(db, "w1", short_lease).run_once())
    while not runs:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # over three leases long
    assert await Worker(db, "w2", short_lease).run_once() is False
    release.set()
    assert await first is True

    assert runs == ["w1"]
    async with db.read() as session:
        assert [a.outcome for a in await attempts_of(session, job_id)] == ["succeeded"]


async def test_stop_lets_the_worker_return(db: Database) -> None:
    stop = asyncio.Event()
    worker = Worker(db, "w1", FAST)
    task = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    async with asyncio.timeout(5):
        await task


async def test_run_worker_entry_point_runs_jobs_until_stopped(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    db = Database.from_settings(settings)
    await db.upgrade()
    async with db.transaction() as session:
        job_id = (await enqueue(session, "test.echo", {"message": "hello"})).id

    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop, WorkerOptions(poll_seconds=0.02)))
    async with asyncio.timeout(10):
        while True:
            async with db.read() as session:
                job = await get_job(session, job_id)
            if job is not None and job.state == JobState.SUCCEEDED:
                break
            await asyncio.sleep(0.02)
    stop.set()
    async with asyncio.timeout(5):
        await task
    await db.dispose()
