"""Click-to-call on the simulator: originate plays an outbound call into the sink."""

from __future__ import annotations

import asyncio

from deskline.calls.model import CallStatus, Direction
from deskline.calls.tracker import CallTracker
from deskline.pbx.base import build_adapter
from deskline.pbx.simulator import SimulatorAdapter
from tests.pbx.webhook.conftest import MemorySink


async def test_originate_plays_an_outbound_call() -> None:
    adapter = build_adapter(
        "simulator",
        {"token": "simulator-token-0123456789", "answer_after": 1, "talk": 2, "speed": 100},
    )
    assert isinstance(adapter, SimulatorAdapter)
    not_running = await adapter.originate("2005", "+15557654321")
    assert not not_running.accepted
    sink = MemorySink()
    runner = asyncio.create_task(adapter.run(sink))
    await asyncio.sleep(0)
    result = await adapter.originate("2005", "+15557654321")
    assert result.accepted and result.call_id
    async with asyncio.timeout(5):
        while not any(e.kind == "call.cdr" for e in sink.events):
            await asyncio.sleep(0.01)
    await adapter.close()
    await runner
    tracker = CallTracker()
    for event in sink.events:
        tracker.apply(event)
    tracker.finalise_all()
    call = tracker.get(result.call_id)
    assert call is not None
    assert call.direction is Direction.OUTBOUND and call.status is CallStatus.ANSWERED
    assert (call.caller.number, call.callee.number, call.answered_by) == (
        "2005",
        "+15557654321",
        "2005",
    )


async def test_invalid_originate_is_refused() -> None:
    adapter = build_adapter("simulator", {"token": "simulator-token-0123456789"})
    runner = asyncio.create_task(adapter.run(MemorySink()))
    await asyncio.sleep(0)
    result = await adapter.originate("2005", " ")
    await adapter.close()
    await runner
    assert not result.accepted and "--to" in result.message
