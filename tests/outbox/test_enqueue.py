"""Jobs are added in the caller's transaction, once per idempotency key."""

from __future__ import annotations

import pytest

from deskline.outbox import JobState, enqueue, enqueue_once, get_job, list_jobs
from deskline.store.db import Database


async def test_job_commits_with_the_transaction(db: Database) -> None:
    async with db.transaction() as session:
        job = await enqueue(session, "test.echo", {"message": "hi"}, ordering_key="call:1")

    async with db.read() as session:
        stored = await get_job(session, job.id)
        assert stored is not None
        assert stored.state == JobState.PENDING
        assert stored.payload == {"message": "hi"}
        assert stored.ordering_key == "call:1"
        assert stored.attempts == 0


async def test_job_is_dropped_with_a_rolled_back_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await enqueue(session, "test.echo", {})
            raise RuntimeError("the state change failed")

    async with db.read() as session:
        assert await list_jobs(session) == []


async def test_same_idempotency_key_returns_the_existing_job(db: Database) -> None:
    async with db.transaction() as session:
        first = await enqueue(session, "test.echo", {"n": 1}, idempotency_key="call:7:ticket")
    async with db.transaction() as session:
        again = await enqueue(session, "test.echo", {"n": 2}, idempotency_key="call:7:ticket")
        other = await enqueue(session, "test.echo", {"n": 3}, idempotency_key="call:8:ticket")

    assert again.id == first.id
    assert again.payload == {"n": 1}
    assert other.id != first.id
    async with db.read() as session:
        assert len(await list_jobs(session)) == 2


async def test_bad_arguments_are_refused(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="kind"):
            await enqueue(session, "", {})
        with pytest.raises(ValueError, match="max_attempts"):
            await enqueue(session, "test.echo", {}, max_attempts=0)


async def test_enqueue_once_adds_a_job_per_key_and_says_whether_it_did(db: Database) -> None:
    async with db.transaction() as session:
        added = await enqueue_once(
            session, "test.echo", {"n": 1}, idempotency_key="call:9:ticket", priority=5
        )
        again = await enqueue_once(session, "test.echo", {"n": 2}, idempotency_key="call:9:ticket")
    async with db.transaction() as session:
        later = await enqueue_once(session, "test.echo", {"n": 3}, idempotency_key="call:9:ticket")
        with pytest.raises(ValueError, match="kind"):
            await enqueue_once(session, "", {}, idempotency_key="call:9:other")

    assert (added, again, later) == (True, False, False)
    async with db.read() as session:
        jobs = await list_jobs(session)
    assert [(job.payload, job.priority, job.state) for job in jobs] == [
        ({"n": 1}, 5, JobState.PENDING)
    ]
