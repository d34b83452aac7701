"""A real Redis for the shared-budget tests (``DESKLINE_TEST_REDIS_URL``, default database 15).

Each test gets its own key prefix and deletes only its own keys afterwards. An unreachable
server skips the test, or fails it when ``DESKLINE_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from deskline.budget import redis_client
from tests.conftest import services_required

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
TEST_PREFIX = "deskline-test"


def redis_url() -> str:
    return os.environ.get("DESKLINE_TEST_REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture
def key_prefix() -> str:
    return f"{TEST_PREFIX}:{uuid.uuid4().hex[:12]}:budget"


@pytest.fixture
async def redis(key_prefix: str) -> AsyncIterator[Redis]:
    client = redis_client(redis_url(), timeout=2.0)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        message = f"Redis at {redis_url()} is not reachable: {exc}"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{key_prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
