"""The database unreachable (a PostgreSQL restart): the webhook answers 503 with Retry-After,
so the PBX sends again, instead of a 500 (found by bench/suite.py's fault_postgres_restart)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from fastapi import FastAPI

from deskline.calls.events import CallEvent
from deskline.pbx.webhook.config import WebhookConfig
from deskline.web.pbx_webhooks import Resolver, WebhookTarget, install_pbx_webhooks
from tests.pbx.webhook.conftest import TOKEN
from tests.pbx.webhook.test_router import RING, post


def refused() -> OSError:
    return ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")


async def unreachable_sink(events: Sequence[CallEvent]) -> list[CallEvent]:
    raise refused()


async def _ring_answer(resolve: Resolver) -> httpx.Response:
    """What the webhook answers a ring with connections found by ``resolve``."""
    app = FastAPI()
    install_pbx_webhooks(app, resolve)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://deskline.test") as client:
        return await post(client, RING)


async def test_connection_lookup_failing_to_reach_the_database_is_503() -> None:
    async def resolve(name: str) -> WebhookTarget | None:
        raise refused()

    response = await _ring_answer(resolve)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "retry" in response.json()["detail"]


async def test_storing_events_failing_to_reach_the_database_is_503() -> None:
    target = WebhookTarget("webhook", WebhookConfig(token=TOKEN), unreachable_sink)

    async def resolve(name: str) -> WebhookTarget | None:
        return target

    response = await _ring_answer(resolve)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
