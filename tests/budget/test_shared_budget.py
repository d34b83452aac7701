"""The Redis-shared budget: several limiters (tasks, a second process) share one budget."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import pytest
from redis.asyncio import Redis

from deskline.budget import (
    BudgetConfig,
    BudgetExhausted,
    Priority,
    RateLimitFeedback,
    SharedBudget,
    SharedOptions,
    redis_client,
)
from tests.budget.conftest import redis_url
from tests.budget.grants import most_in_any_window
from tests.budget.tcp_proxy import TcpProxy
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.redis


def shared(
    redis: Redis, prefix: str, rpm: int | None, window: float = 0.2, **config: float
) -> SharedBudget:
    settings = BudgetConfig(
        rpm,
        safety_margin=1.0,
        window_seconds=window,
        **config,  # type: ignore[arg-type]
    )
    options = SharedOptions(key_prefix=prefix, probe_seconds=0.05, max_poll_seconds=0.1)
    return SharedBudget("helpdesk:1", settings, redis, options)


async def redis_now(redis: Redis) -> float:
    seconds, micros = await redis.time()
    return seconds + micros / 1_000_000


async def test_two_limiters_in_separate_tasks_share_one_budget(
    redis: Redis, key_prefix: str
) -> None:
    other_client = redis_client(redis_url(), timeout=2.0)
    try:
        first = shared(redis, key_prefix, 10, max_wait_seconds=30)
        second = shared(other_client, key_prefix, 10, max_wait_seconds=30)

        async def take(budget: SharedBudget, count: int) -> list[float]:
            grants = await asyncio.gather(*(budget.acquire() for _ in range(count)))
            return [grant.at for grant in grants]

        ones, twos = await asyncio.gather(take(first, 25), take(second, 25))
    finally:
        await other_client.aclose()
    assert len(ones) == len(twos) == 25
    assert most_in_any_window(ones + twos, 0.2) == 10
    assert not first.degraded and not second.degraded


async def test_a_second_process_shares_the_budget(redis: Redis, key_prefix: str) -> None:
    limit, window, count = 8, 0.25, 20
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.budget.acquirer_process",
        redis_url(),
        key_prefix,
        "helpdesk:1",
        str(count),
        str(limit),
        str(window),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        ready = await asyncio.wait_for(process.stdout.readline(), 30)
        assert ready.strip() == b"ready"
        here = shared(redis, key_prefix, limit, window, max_wait_seconds=30)
        mine = await asyncio.gather(*(here.acquire() for _ in range(count)))
        theirs = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
        assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    times = [grant.at for grant in mine] + theirs
    assert len(times) == 2 * count
    assert most_in_any_window(times, window) == limit


async def test_priorities_are_served_in_order_across_limiters(
    redis: Redis, key_prefix: str
) -> None:
    a = shared(redis, key_prefix, 1, window=0.15, max_wait_seconds=10)
    b = shared(redis, key_prefix, 1, window=0.15, max_wait_seconds=10)
    await a.acquire()  # the window is full
    served: list[str] = []

    async def request(budget: SharedBudget, name: str, priority: Priority) -> None:
        await budget.acquire(priority)
        served.append(name)

    tasks = []
    for budget, name, priority in [
        (b, "refresh", Priority.BACKGROUND),
        (a, "journal", Priority.JOURNAL),
        (b, "ticket", Priority.TICKET),
        (a, "pop", Priority.SCREEN_POP),
    ]:
        tasks.append(asyncio.create_task(request(budget, name, priority)))
        await asyncio.sleep(0.01)  # queued in Redis in this order
    await asyncio.gather(*tasks)
    assert served == ["pop", "ticket", "journal", "refresh"]


async def test_retry_after_from_one_process_pauses_every_process(
    redis: Redis, key_prefix: str
) -> None:
    a = shared(redis, key_prefix, None)
    b = shared(redis, key_prefix, None)
    started = await redis_now(redis)
    await a.learn(RateLimitFeedback(throttled=True, retry_after=0.4))
    with pytest.raises(BudgetExhausted) as caught:
        await b.acquire(max_wait=0.1)
    assert caught.value.retry_after > 0.2
    grant = await b.acquire(max_wait=5)
    assert grant.at >= started + 0.39


async def test_helpdesk_headers_lower_the_shared_budget(redis: Redis, key_prefix: str) -> None:
    a = shared(redis, key_prefix, 100, window=30)
    b = shared(redis, key_prefix, 100, window=30)
    await a.learn(RateLimitFeedback(limit=4))
    for _ in range(4):
        await b.acquire(max_wait=0)
    with pytest.raises(BudgetExhausted):
        await b.acquire(max_wait=0)


async def test_the_helpdesks_remaining_count_is_shared(redis: Redis, key_prefix: str) -> None:
    a = shared(redis, key_prefix, 100, window=30)
    b = shared(redis, key_prefix, 100, window=30)
    await a.learn(RateLimitFeedback(remaining=3, reset_seconds=20))
    await a.acquire(max_wait=0)
    await b.acquire(max_wait=0)
    await b.acquire(max_wait=0)
    with pytest.raises(BudgetExhausted) as caught:
        await a.acquire(max_wait=0)
    assert 15 < caught.value.retry_after <= 20


async def test_a_waiter_of_a_dead_process_does_not_block_the_queue(
    redis: Redis, key_prefix: str
) -> None:
    budget = shared(redis, key_prefix, 5, max_wait_seconds=0)
    now_ms = int(await redis_now(redis) * 1000)
    keys = budget.keys
    await redis.zadd(keys["waiters"], {"0000000000000:dead": 0})
    await redis.zadd(keys["seen"], {"0000000000000:dead": now_ms - 60_000})
    grant = await budget.acquire(Priority.BACKGROUND)
    assert grant.waited < 1
    assert await redis.zcard(keys["waiters"]) == 0


async def test_redis_down_degrades_to_a_per_process_share_and_recovers(
    redis: Redis, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    kwargs = redis.connection_pool.connection_kwargs
    host, port = kwargs.get("host", "127.0.0.1"), kwargs["port"]
    proxy = TcpProxy(host, port)
    await proxy.start()
    db = kwargs.get("db", 0)
    through_proxy = redis_client(f"redis://127.0.0.1:{proxy.port}/{db}", timeout=0.5)
    budget = shared(through_proxy, key_prefix, 20, window=30, expected_processes=2)
    caplog.set_level(logging.INFO, logger="deskline.budget.shared")
    try:
        await budget.acquire(max_wait=0)
        assert not budget.degraded
        await proxy.stop()
        for _ in range(10):  # this process's share: 20 / 2
            await budget.acquire(max_wait=0)
        assert budget.degraded
        with pytest.raises(BudgetExhausted):
            await budget.acquire(max_wait=0)
        await proxy.start()
        await asyncio.sleep(0.06)  # the next probe is due
        await budget.acquire(max_wait=0)
        assert not budget.degraded
    finally:
        await proxy.stop()
        await through_proxy.aclose()
    assert await redis.zcard(budget.keys["window"]) == 2  # before and after the outage
    messages = [r.getMessage() for r in caplog.records if r.name == "deskline.budget.shared"]
    assert sum("Redis is unavailable" in m for m in messages) == 1
    assert sum("Redis is back" in m for m in messages) == 1
