"""The in-process budget under real contention (short windows; no assertion on speed)."""

from __future__ import annotations

import asyncio

import pytest

from deskline.budget import BudgetConfig, BudgetExhausted, LocalBudget, Priority, RateLimitFeedback
from deskline.observability.metrics import REGISTRY
from tests.budget.grants import most_in_any_window

WINDOW = 0.2


def budget(rpm: int | None, **overrides: float) -> LocalBudget:
    options: dict[str, float] = {"safety_margin": 1.0, "window_seconds": WINDOW}
    options.update(overrides)
    return LocalBudget("helpdesk:test", BudgetConfig(rpm, **options))  # type: ignore[arg-type]


async def test_many_concurrent_acquirers_never_exceed_the_budget_and_all_get_through() -> None:
    limited = budget(10, max_wait_seconds=10)
    grants = await asyncio.gather(*(limited.acquire(Priority(i % 4)) for i in range(40)))
    times = [grant.at for grant in grants]
    assert len(times) == 40  # delayed, never dropped
    assert most_in_any_window(times, WINDOW) == 10  # full use, never more
    assert sum(1 for g in grants if g.waited > 0) == 30


async def test_waiting_requests_are_served_by_priority_then_arrival() -> None:
    limited = budget(1, window_seconds=0.05, max_wait_seconds=10)
    await limited.acquire()  # the window is full now
    served: list[str] = []

    async def request(name: str, priority: Priority) -> None:
        await limited.acquire(priority)
        served.append(name)

    arrivals = [
        ("refresh", Priority.BACKGROUND),
        ("journal-1", Priority.JOURNAL),
        ("ticket", Priority.TICKET),
        ("journal-2", Priority.JOURNAL),
        ("pop", Priority.SCREEN_POP),
    ]
    tasks = []
    for name, priority in arrivals:
        tasks.append(asyncio.create_task(request(name, priority)))
        await asyncio.sleep(0)  # each is queued before the next arrives
    await asyncio.gather(*tasks)
    assert served == ["pop", "ticket", "journal-1", "journal-2", "refresh"]


async def test_a_request_that_would_wait_too_long_is_told_when_to_come_back() -> None:
    limited = budget(2, window_seconds=30, max_wait_seconds=0.05)
    await limited.acquire()
    await limited.acquire()
    before = REGISTRY.get_sample_value(
        "deskline_budget_exhausted_total", {"connection": "helpdesk:test", "priority": "ticket"}
    )
    with pytest.raises(BudgetExhausted) as caught:
        await limited.acquire(Priority.TICKET)
    assert 25 < caught.value.retry_after <= 30
    assert caught.value.priority == Priority.TICKET
    assert limited.waiting == 0  # it left the queue
    after = REGISTRY.get_sample_value(
        "deskline_budget_exhausted_total", {"connection": "helpdesk:test", "priority": "ticket"}
    )
    assert after == (before or 0) + 1


async def test_a_429_pauses_every_request_until_retry_after() -> None:
    unlimited = budget(None, max_wait_seconds=5)
    await unlimited.acquire()
    paused_at = asyncio.get_running_loop().time()
    await unlimited.learn(RateLimitFeedback(throttled=True, retry_after=0.2))
    with pytest.raises(BudgetExhausted) as caught:
        await unlimited.acquire(max_wait=0.05)
    assert caught.value.retry_after > 0.1
    grants = await asyncio.gather(*(unlimited.acquire(Priority(p)) for p in range(4)))
    assert all(grant.at >= paused_at + 0.2 for grant in grants)


async def test_a_pause_that_starts_while_requests_wait_holds_them_too() -> None:
    limited = budget(1, window_seconds=0.05, max_wait_seconds=5)
    await limited.acquire()
    waiting = asyncio.create_task(limited.acquire())
    await asyncio.sleep(0)
    await limited.learn(RateLimitFeedback(throttled=True, retry_after=0.3))
    paused_until = limited.window.paused_until
    grant = await waiting
    assert grant.at >= paused_until


async def test_headers_lower_the_budget() -> None:
    limited = budget(100, max_wait_seconds=0)
    await limited.learn(RateLimitFeedback(limit=3))
    for _ in range(3):
        await limited.acquire()
    with pytest.raises(BudgetExhausted):
        await limited.acquire()


async def test_a_cancelled_waiter_does_not_use_a_slot() -> None:
    limited = budget(1, window_seconds=0.1, max_wait_seconds=5)
    await limited.acquire()
    doomed = asyncio.create_task(limited.acquire(Priority.SCREEN_POP))
    survivor = asyncio.create_task(limited.acquire(Priority.BACKGROUND))
    await asyncio.sleep(0)
    doomed.cancel()
    grant = await survivor
    assert grant.priority is Priority.BACKGROUND
    assert limited.window.used(grant.at) == 1  # the survivor alone, not the cancelled one


async def test_the_wait_is_observed_by_priority() -> None:
    limited = budget(1, window_seconds=0.05)
    labels = {"priority": "background"}
    before = REGISTRY.get_sample_value("deskline_budget_wait_seconds_count", labels) or 0
    await limited.acquire(Priority.BACKGROUND)
    await limited.acquire(Priority.BACKGROUND)
    assert REGISTRY.get_sample_value("deskline_budget_wait_seconds_count", labels) == before + 2
    assert limited.used_ratio() == 1.0
