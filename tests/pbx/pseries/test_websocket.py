"""The event WebSocket against the fake PBX: subscribe, heartbeat, reconnect, bad frames."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence

import pytest

from deskline.calls.events import CallDetailRecord, CallEvent, CallOffered
from deskline.pbx.pseries.adapter import PSeriesAdapter
from deskline.pbx.pseries.config import DEFAULT_TOPICS
from tests.fakes.pseries_server import FakePSeries, frame
from tests.pbx.pseries.conftest import make_config

REAL_30011 = (
    '{"type":30011,"sn":"3633D2199067","msg":"{\\"call_id\\":\\"1702285525.16\\",\\"members\\":'
    '[{\\"extension\\":{\\"number\\":\\"703\\",\\"channel_id\\":\\"PJSIP/703-00000008\\",'
    '\\"member_status\\":\\"ANSWERED\\",\\"call_path\\":\\"\\"}}]}"}'
)
REAL_30012 = (
    '{"type":30012,"sn":"3633D2199067","msg":"{\\"call_id\\":\\"1702285525.16\\",\\"time_start\\"'
    ':\\"2023-12-11 11:05:25\\",\\"call_from\\":\\"703\\",\\"call_to\\":\\"0872858652\\",'
    '\\"call_duration\\":0,\\"talk_duration\\":0,\\"src_trunk_name\\":\\"\\",\\"dst_trunk_name\\":'
    '\\"27872858652_SIP\\",\\"pin_code\\":\\"\\",\\"status\\":\\"BUSY\\",\\"type\\":\\"Outbound\\",'
    '\\"recording\\":\\"\\",\\"did_number\\":\\"\\",\\"agent_ring_time\\":0}"}'
)


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[CallEvent] = []

    async def __call__(self, events: Sequence[CallEvent]) -> None:
        self.events.extend(events)


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.fixture
async def running(
    fake: FakePSeries, pbx_url: str
) -> AsyncIterator[tuple[PSeriesAdapter, RecordingSink]]:
    adapter = PSeriesAdapter(make_config(pbx_url))
    sink = RecordingSink()
    task = asyncio.create_task(adapter.run(sink))
    await asyncio.wait_for(fake.subscribed.wait(), 5)
    yield adapter, sink
    await adapter.close()
    await asyncio.wait_for(task, 5)


async def test_subscribes_to_the_call_topics_and_receives_events(
    fake: FakePSeries, running: tuple[PSeriesAdapter, RecordingSink]
) -> None:
    _, sink = running
    assert fake.subscriptions[0][1] == list(DEFAULT_TOPICS)
    await fake.push(REAL_30011, REAL_30012)
    await wait_until(lambda: any(isinstance(e, CallDetailRecord) for e in sink.events))
    offered, cdr = sink.events
    assert isinstance(offered, CallOffered) and isinstance(cdr, CallDetailRecord)
    assert cdr.call_id == "1702285525.16"


async def test_heartbeat_keeps_the_socket_open(fake: FakePSeries, pbx_url: str) -> None:
    fake.idle_timeout = 0.5
    adapter = PSeriesAdapter(make_config(pbx_url, heartbeat_seconds=0.15))
    task = asyncio.create_task(adapter.run(RecordingSink()))
    try:
        await wait_until(lambda: fake.heartbeats >= 6)  # well past the idle timeout
        assert fake.idle_closes == 0
        assert adapter.subscription is not None and adapter.subscription.sessions == 1
    finally:
        await adapter.close()
        await task


async def test_without_heartbeat_the_pbx_hangs_up_and_we_resubscribe(
    fake: FakePSeries, pbx_url: str
) -> None:
    fake.idle_timeout = 0.2
    adapter = PSeriesAdapter(make_config(pbx_url, heartbeat_seconds=30))
    task = asyncio.create_task(adapter.run(RecordingSink()))
    try:
        await wait_until(lambda: len(fake.subscriptions) >= 2)
        assert fake.idle_closes >= 1
    finally:
        await adapter.close()
        await task


async def test_reconnects_after_a_drop_with_a_fresh_token(
    fake: FakePSeries,
    running: tuple[PSeriesAdapter, RecordingSink],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, sink = running
    first_token = fake.subscriptions[0][0]
    fake.access_tokens.clear()  # the PBX restarts and forgets every token
    await fake.drop()
    await wait_until(lambda: len(fake.subscriptions) >= 2)
    assert fake.subscriptions[1][0] != first_token
    assert fake.logins == 2
    await fake.push(REAL_30012)
    await wait_until(lambda: len(sink.events) == 2)
    assert "reconnecting" in caplog.text
    assert not any(token in caplog.text for token, _ in fake.subscriptions)


async def test_malformed_frames_are_skipped_and_the_connection_stays(
    fake: FakePSeries, running: tuple[PSeriesAdapter, RecordingSink]
) -> None:
    adapter, sink = running
    await fake.push(
        "not json at all",
        '{"type":30011,"sn":"X","msg":"{\\"call_id\\": \\"1.1\\", \\"mem',  # truncated
        '{"type":30011,"sn":"X","msg":"{broken"}',
        '{"type":30011,"sn":"X","msg":"[1,2]"}',
        '{"type":"abc","msg":"{}"}',
        frame(30011, {"members": []}),  # no call id
        frame(30011, {"call_id": "9.9", "members": "nope"}),
        frame(39999, {"call_id": "9.9"}),  # unknown topic: ignored
        frame(30011, {"call_id": "9.9", "members": [{"extension": 5}, {"bogus": {}}]}),
        REAL_30012,
    )
    await wait_until(lambda: any(isinstance(e, CallDetailRecord) for e in sink.events))
    assert {e.call_id for e in sink.events} == {"1702285525.16"}
    assert adapter.subscription is not None and adapter.subscription.sessions == 1
