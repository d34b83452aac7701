"""A worker running several jobs at once: up to ``concurrency``, never two of one call."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from deskline.outbox import ClaimedJob, JobContext, JobState, Worker, WorkerOptions, enqueue
from deskline.store.db import Database
from deskline.store.models import Job
from tests.outbox.conftest import HandlerRegistry


def _options(concurrency: int) -> WorkerOptions:
    return WorkerOptions(poll_seconds=0.02, lease_seconds=5, concurrency=concurrency)


class Probe:
    """A handler that holds each job a moment and records what ran alongside it."""

    def __init__(self) -> None:
        self.running: Counter[str] = Counter()
        self.most_at_once = 0
        self.most_per_key: Counter[str] = Counter()
        self.order: list[tuple[str, int]] = []

    async def __call__(self, job: ClaimedJob, context: JobContext) -> str:
        key = job.ordering_key or "-"
        self.running[key] += 1
        self.most_per_key[key] = max(self.most_per_key[key], self.running[key])
        self.most_at_once = max(self.most_at_once, sum(self.running.values()))
        await asyncio.sleep(0.03)
        self.order.append((key, int(str(job.payload["n"]))))
        self.running[key] -= 1
        return "ok"


async def _run_until_done(db: Database, worker: Worker, jobs: int) -> None:
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(500):
            async with db.read() as session:
                done = await session.scalar(
                    select(func.count()).where(Job.state == JobState.SUCCEEDED.value)
                )
            if done == jobs:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the jobs did not finish")
    finally:
        worker.stop()
        await task


async def test_jobs_of_different_calls_run_side_by_side_up_to_the_limit(
    db: Database, handlers: HandlerRegistry
) -> None:
    probe = Probe()
    handlers.add("test.probe", probe)
    async with db.transaction() as session:
        for n in range(12):
            await enqueue(session, "test.probe", {"n": n}, ordering_key=f"call:{n}")
    await _run_until_done(db, Worker(db, "w1", _options(4)), 12)
    assert probe.most_at_once == 4
    assert len(probe.order) == 12


async def test_jobs_of_one_call_never_overlap_and_keep_their_order(
    db: Database, handlers: HandlerRegistry
) -> None:
    probe = Probe()
    handlers.add("test.probe", probe)
    async with db.transaction() as session:
        for n in range(5):
            for call in ("a", "b", "c"):
                await enqueue(session, "test.probe", {"n": n}, ordering_key=f"call:{call}")
    await _run_until_done(db, Worker(db, "w1", _options(8)), 15)
    assert max(probe.most_per_key.values()) == 1
    assert probe.most_at_once == 3  # one per call at a time
    for call in ("call:a", "call:b", "call:c"):
        assert [n for key, n in probe.order if key == call] == [0, 1, 2, 3, 4]


async def test_stopping_finishes_the_jobs_in_hand(db: Database, handlers: HandlerRegistry) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[int] = []

    async def slow(job: ClaimedJob, context: JobContext) -> str:
        started.set()
        await release.wait()
        finished.append(job.id)
        return "done"

    handlers.add("test.slow", slow)
    async with db.transaction() as session:
        for n in range(3):
            await enqueue(session, "test.slow", {"n": n}, ordering_key=f"call:{n}")
    worker = Worker(db, "w1", _options(3))
    task = asyncio.create_task(worker.run())
    await started.wait()
    await asyncio.sleep(0.05)
    worker.stop()
    await asyncio.sleep(0.05)
    assert not task.done()  # waits for the three jobs in hand
    release.set()
    await task
    assert len(finished) == 3
