"""A ``serve`` that runs its own outbox worker, next to separate ``deskline worker`` processes
and without Redis: its own worker's pops go in-process, the separate workers' through the
database, and both reach the agent, each once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from deskline.fanout import StoredPopRelay, StoredRelayOptions
from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.screen_pop import PopHub, PopTrigger
from deskline.runtime.services import RuntimeOptions
from tests.fanout.test_stored_relay import until
from tests.web.conftest import FAST_OPTIONS, Server

CONTACT = IndexedContact("901", "Ada", "Lovelace", numbers=("+15135557611",))
FAST_RELAY = StoredRelayOptions(poll_seconds=0.02, lookback_seconds=1.0)


@pytest.fixture
def runtime_options() -> RuntimeOptions:
    return replace(FAST_OPTIONS, run_worker=True, stored_relay=FAST_RELAY)


class Tab:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        self.received.append(message)


async def test_a_serve_with_its_own_worker_also_delivers_a_separate_workers_pops(
    server: Server,
) -> None:
    runtime = server.runtime
    assert runtime.worker is not None
    tab = Tab()
    runtime.pipeline.hub.connect("2005", tab.send)
    separate = StoredPopRelay(runtime.db, subscribe=False, name="worker-2")
    worker_hub = PopHub(relay=separate, hold_seconds=0)

    await runtime.pipeline.hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)  # its own
    assert await worker_hub.pop("pbx:2", PopTrigger.RINGING, "2005", CONTACT)  # stored
    assert await worker_hub.pop("pbx:1", PopTrigger.ANSWERED, "2005", CONTACT)  # popped already

    await until(lambda: len(tab.received) >= 2)
    await asyncio.sleep(0.2)  # a duplicate would arrive now
    assert [m["call_id"] for m in tab.received] == ["pbx:1", "pbx:2"]
    assert tab.received[1]["contact"]["name"] == "Ada Lovelace"
    status = (await server.admin.get("/api/status")).json()
    assert status["worker"] == "in-process"
    assert status["pops"] == "in-process"
