"""SQLite's write turns: urgent writers (ring events) go before queued ordinary ones."""

from __future__ import annotations

import asyncio

import pytest

from deskline.store.writer_lock import WriterLock


async def _take(lock: WriterLock, name: str, order: list[str], *, urgent: bool = False) -> None:
    async with lock.turn(urgent=urgent):
        order.append(name)
        await asyncio.sleep(0)


async def test_waiting_urgent_writers_go_before_ordinary_ones_each_in_arrival_order() -> None:
    lock, order = WriterLock(), []
    async with lock.turn():
        tasks = [
            asyncio.create_task(_take(lock, "job-1", order)),
            asyncio.create_task(_take(lock, "job-2", order)),
            asyncio.create_task(_take(lock, "ring-1", order, urgent=True)),
            asyncio.create_task(_take(lock, "ring-2", order, urgent=True)),
        ]
        await asyncio.sleep(0.01)
        assert order == []  # all wait while the lock is held
    await asyncio.gather(*tasks)
    assert order == ["ring-1", "ring-2", "job-1", "job-2"]
    assert not lock.locked()


async def test_one_holder_at_a_time() -> None:
    lock, inside, most = WriterLock(), 0, 0

    async def hold(urgent: bool) -> None:
        nonlocal inside, most
        async with lock.turn(urgent=urgent):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(hold(n % 3 == 0) for n in range(30)))
    assert most == 1
    assert not lock.locked()


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock, order = WriterLock(), []
    async with lock.turn():
        cancelled = asyncio.create_task(_take(lock, "cancelled", order, urgent=True))
        later = asyncio.create_task(_take(lock, "later", order))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
    await later
    assert order == ["later"]
    assert not lock.locked()


async def test_a_waiter_cancelled_after_being_handed_the_lock_passes_it_on() -> None:
    lock, order = WriterLock(), []
    await lock._acquire(urgent=False)  # held by the test, released by hand below
    handed = asyncio.create_task(_take(lock, "handed", order))
    after = asyncio.create_task(_take(lock, "after", order))
    await asyncio.sleep(0.01)
    lock._release()  # hands the lock to `handed`, which has not run since
    handed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handed
    await after
    assert order == ["after"]
    assert not lock.locked()
