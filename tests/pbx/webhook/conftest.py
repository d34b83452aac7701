"""An app with only the PBX webhooks (fast path or routes), a few connections and an
in-memory sink."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from fastapi import FastAPI

from deskline.calls.events import CallEvent
from deskline.errors import StorageError
from deskline.pbx.pseries.config import PSeriesConfig
from deskline.pbx.webhook.config import WebhookConfig
from deskline.web.pbx_webhooks import Resolver, WebhookTarget, install_pbx_webhooks

TOKEN = "token-0123456789abcdef"
HMAC_SECRET = "hmac-secret-0123456789"
PSERIES_TOKEN = "pseries-hook-0123456789"


class MemorySink:
    """Stores events once per key, like the real event store, and says which were new."""

    def __init__(self) -> None:
        self.events: list[CallEvent] = []
        self.down = False

    async def __call__(self, events: Sequence[CallEvent]) -> list[CallEvent]:
        if self.down:
            raise StorageError("database is locked")
        known = {event.key for event in self.events}
        new = []
        for event in events:
            if event.key not in known:
                known.add(event.key)
                new.append(event)
        self.events.extend(new)
        return new


def build_app(sink: MemorySink, *, fast_path: bool = True) -> FastAPI:
    app = FastAPI()
    install_pbx_webhooks(app, resolver(sink), fast_path=fast_path)
    return app


def resolver(sink: MemorySink) -> Resolver:
    """Four connections storing into ``sink``: ``office`` (token), ``signed`` (HMAC),
    ``off`` (disabled) and ``pbx`` (P-Series)."""
    targets = {
        "office": WebhookTarget("webhook", WebhookConfig(token=TOKEN), sink),
        "signed": WebhookTarget("webhook", WebhookConfig(hmac_secret=HMAC_SECRET), sink),
        "off": WebhookTarget("webhook", WebhookConfig(token=TOKEN), sink, enabled=False),
        "pbx": WebhookTarget(
            "pseries",
            PSeriesConfig(
                base_url="https://pbx.example.com",
                client_id="id",
                client_secret="secret",
                transport="webhook",
                webhook_token=PSERIES_TOKEN,
                timezone="Europe/Berlin",
            ),
            sink,
        ),
    }

    async def resolve(name: str) -> WebhookTarget | None:
        return targets.get(name)

    return resolve


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture(params=[True, False], ids=["fast-path", "routes"])
async def client(
    sink: MemorySink, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    """Every webhook test runs against the fast path and against the declared routes: they
    must answer alike."""
    transport = httpx.ASGITransport(app=build_app(sink, fast_path=request.param))
    async with httpx.AsyncClient(transport=transport, base_url="http://deskline.test") as client:
        yield client
