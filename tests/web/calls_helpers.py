"""Feeding simulated calls into the app through the real webhook route."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from deskline.pbx.simulator.scenario import CallScenario, build_steps
from deskline.store.repositories.pbx_connections import PbxConnectionRepository
from tests.web.conftest import Server


async def simulator_token(server: Server) -> str:
    async with server.runtime.db.read() as session:
        view = await PbxConnectionRepository(session, server.runtime.box).by_name("simulator")
    assert view is not None
    return view.secrets["token"].get_secret_value()


def call_events(scenario: CallScenario, *, minutes_ago: float = 10) -> list[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return [step.event for step in build_steps(scenario, start, speed=1000)]


async def post_events(server: Server, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Post events in one batch to the simulator's webhook; returns its answer."""
    answer = await server.anon.post(
        "/webhooks/pbx/simulator",
        json={"events": events},
        headers={"Authorization": f"Bearer {await simulator_token(server)}"},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def post_call(
    server: Server, scenario: CallScenario, *, minutes_ago: float = 10
) -> dict[str, Any]:
    return await post_events(server, call_events(scenario, minutes_ago=minutes_ago))


async def decided_calls(server: Server, count: int, **params: Any) -> list[dict[str, Any]]:
    """The listed calls once ``count`` of them have their status decided."""
    for _ in range(200):
        calls = (await server.admin.get("/api/calls", params=params)).json()["calls"]
        if len([c for c in calls if c["call"]["status"]]) >= count:
            return list(calls)
        await asyncio.sleep(0.02)
    raise AssertionError(f"calls not decided: {calls}")
