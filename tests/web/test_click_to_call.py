"""Click-to-call through the API: normalised numbers, debounced double clicks, the PBX's
refusal as a 502, and the simulator placing a real (simulated) outbound call."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from pydantic import BaseModel

from deskline.pbx import base
from deskline.pbx.base import EventSink, OriginateResult
from tests.web.calls_helpers import decided_calls
from tests.web.conftest import Server


class RefusingConfig(BaseModel):
    reason: str = "extension 2005 is not registered"


class RefusingAdapter:
    """A PBX that is up but refuses every originate."""

    kind: ClassVar[str] = "refusing"
    config_model: ClassVar[type[BaseModel]] = RefusingConfig

    def __init__(self, config: BaseModel) -> None:
        assert isinstance(config, RefusingConfig)
        self.reason = config.reason
        self._closed = asyncio.Event()

    async def run(self, sink: EventSink) -> None:
        await self._closed.wait()

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        return OriginateResult(accepted=False, message=self.reason)

    async def close(self) -> None:
        self._closed.set()


async def running(server: Server, name: str) -> None:
    for _ in range(200):
        connections = (await server.admin.get("/api/pbx-connections")).json()
        if any(c["name"] == name and c["status"] == "connected" for c in connections):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} never connected")


async def test_the_simulator_places_the_call_and_a_double_click_dials_once(
    server: Server,
) -> None:
    simulator = next(
        c
        for c in (await server.admin.get("/api/pbx-connections")).json()
        if c["name"] == "simulator"
    )
    changed = await server.admin.patch(
        f"/api/pbx-connections/{simulator['id']}", json={"config": {"speed": 1000}}
    )
    assert changed.json()["config"]["speed"] == 1000
    await running(server, "simulator")
    request = {"extension": "2005", "number": "(555) 123-4567"}
    first = await server.admin.post("/api/click-to-call", json=request)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["accepted"] is True and body["debounced"] is False
    assert body["number"] == "+15551234567" and body["connection"] == "simulator"

    second = await server.admin.post(
        "/api/click-to-call", json={"extension": "2005", "number": "+1 555 123 4567"}
    )
    assert second.status_code == 202
    assert second.json()["debounced"] is True
    assert second.json()["call_id"] == body["call_id"]

    other = await server.admin.post(
        "/api/click-to-call", json={"extension": "2005", "number": "+15559876543"}
    )
    assert other.json()["call_id"] != body["call_id"]

    calls = await decided_calls(server, 2, direction="outbound")
    assert sorted(c["call"]["callee"]["number"] for c in calls) == ["+15551234567", "+15559876543"]


async def test_numbers_and_extensions_that_cannot_be_dialled_are_422(server: Server) -> None:
    await running(server, "simulator")
    bad_number = await server.admin.post(
        "/api/click-to-call", json={"extension": "2005", "number": "call me maybe"}
    )
    assert bad_number.status_code == 422
    assert "not a phone number" in bad_number.json()["message"]
    bad_extension = await server.admin.post(
        "/api/click-to-call", json={"extension": "sales desk", "number": "+15551234567"}
    )
    assert bad_extension.status_code == 422
    unknown = await server.admin.post(
        "/api/click-to-call",
        json={"extension": "2005", "number": "+15551234567", "connection": "nowhere"},
    )
    assert unknown.status_code == 404


async def test_a_refusal_by_the_pbx_is_a_502_with_its_message(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(base._registry, "refusing", (RefusingConfig, RefusingAdapter))
    created = await server.admin.post(
        "/api/pbx-connections", json={"name": "pbx", "kind": "refusing", "config": {}}
    )
    assert created.status_code == 201, created.text
    await running(server, "pbx")
    request = {"extension": "2005", "number": "+15551234567"}
    refused = await server.admin.post("/api/click-to-call", json=request)
    assert refused.status_code == 502
    assert "extension 2005 is not registered" in refused.json()["message"]
    # a refusal is not remembered: the next click asks the PBX again
    again = await server.admin.post("/api/click-to-call", json=request)
    assert again.status_code == 502 and again.json()["debounced"] is False


async def test_click_to_call_needs_a_login(server: Server) -> None:
    answer = await server.anon.post(
        "/api/click-to-call", json={"extension": "2005", "number": "+15551234567"}
    )
    assert answer.status_code == 401
