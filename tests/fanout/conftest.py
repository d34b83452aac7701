"""Two "processes" (a PopHub and a Redis relay each, on connections of their own) on the real
Redis at ``DESKLINE_TEST_REDIS_URL`` (default database 15), with a channel and claim prefix of
their own per test. An unreachable Redis skips, or fails with ``DESKLINE_REQUIRE_SERVICES=1``."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from deskline.fanout import FanoutOptions
from tests.conftest import services_required

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_url() -> str:
    return os.environ.get("DESKLINE_TEST_REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        message = f"Redis at {redis_url()} is not reachable: {exc}"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    yield client
    await client.aclose()


@pytest.fixture
async def fanout_options(redis: Redis) -> AsyncIterator[FanoutOptions]:
    prefix = f"deskline-test:{uuid.uuid4().hex[:12]}"
    yield FanoutOptions(
        channel=f"{prefix}:pops",
        claim_prefix=f"{prefix}:claim",
        timeout_seconds=0.5,
        reconnect_seconds=0.05,
        poll_seconds=0.05,
    )
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
