"""Screen pops across processes: a pop decided in one process reaches the agent's socket in
whichever process holds it, once per call and agent; without Redis, pops stay in-process."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis.asyncio import Redis

from deskline.fanout import FanoutOptions, RedisPopRelay
from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.screen_pop import PopHub, PopTrigger
from tests.budget.tcp_proxy import TcpProxy
from tests.fanout.conftest import redis_url

pytestmark = pytest.mark.redis

CONTACT = IndexedContact("901", "Ada", "Lovelace", numbers=("+15135557611",))


@dataclass
class Tab:
    """One agent browser tab: the messages its WebSocket received."""

    received: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, message: dict[str, Any]) -> None:
        self.received.append(message)

    def calls(self) -> list[str]:
        return [m["call_id"] for m in self.received]


@dataclass
class Process:
    """One process's hub and relay (Redis here; the database in test_stored_relay)."""

    hub: PopHub
    relay: Any

    def open_tab(self, extension: str) -> Tab:
        tab = Tab()
        self.hub.connect(extension, tab.send)
        return tab

    async def connect_console(self, extension: str) -> Tab:
        """A console connecting: it is sent the pops held for its agent first."""
        tab = Tab()
        await self.hub.catch_up(self.hub.connect(extension, tab.send))
        return tab


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for ``condition`` (a message crossing Redis); fails after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the expected pop did not arrive")
        await asyncio.sleep(0.01)


async def start_process(url: str, options: FanoutOptions, name: str) -> Process:
    relay = RedisPopRelay(url, options, name=name)
    hub = PopHub(relay=relay)
    await relay.start(hub)
    assert await relay.wait_subscribed(5)
    return Process(hub, relay)


@pytest.fixture
async def pair(
    redis: Redis, fanout_options: FanoutOptions
) -> AsyncIterator[tuple[Process, Process]]:
    a = await start_process(redis_url(), fanout_options, "A")
    b = await start_process(redis_url(), fanout_options, "B")
    try:
        yield a, b
    finally:
        await a.relay.aclose()
        await b.relay.aclose()


_markers = iter(range(1_000_000))


async def drain(*processes: Process) -> None:
    """Send each process a marker pop and wait for it: each subscriber has handled every
    earlier message then (one channel keeps its order)."""
    for process in processes:
        marker, watcher = f"marker:{next(_markers)}", Tab()
        connection = process.hub.connect("marker", watcher.send)
        await process.hub.pop(marker, PopTrigger.RINGING, "marker", None)
        await until(lambda: marker in watcher.calls())  # noqa: B023
        process.hub.disconnect(connection)


async def test_a_pop_decided_in_a_reaches_the_agent_on_b_exactly_once(
    pair: tuple[Process, Process],
) -> None:
    a, b = pair
    tab = b.open_tab("2005")

    assert await a.hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    await until(lambda: "pbx:1" in tab.calls())
    # the same call again, from either process (a later trigger, a lookup job): no new pop
    assert not await a.hub.pop("pbx:1", PopTrigger.ANSWERED, "2005", CONTACT)
    await b.hub.pop("pbx:1", PopTrigger.ANSWERED, "2005", CONTACT)
    await drain(a, b)

    assert tab.calls() == ["pbx:1"]
    pop = tab.received[0]
    assert pop["contact"]["name"] == "Ada Lovelace"
    assert pop["trigger"] == "ringing"
    assert b.hub.was_popped("pbx:1", "2005")


async def test_a_pop_for_an_agent_with_no_console_reaches_its_next_console_once(
    pair: tuple[Process, Process],
) -> None:
    a, b = pair
    await a.hub.pop("pbx:9", PopTrigger.RINGING, "2005", CONTACT)  # no console anywhere
    await drain(a, b)

    late = await b.connect_console("2005")
    assert late.calls() == ["pbx:9"]
    assert late.received[0]["contact"]["name"] == "Ada Lovelace"
    # the other process held it too, but the claim was taken: a console there gets nothing
    assert (await a.connect_console("2005")).calls() == []
    assert late.calls() == ["pbx:9"]


async def test_two_tabs_on_two_processes_get_one_pop_per_call(
    pair: tuple[Process, Process],
) -> None:
    a, b = pair
    tab_a, tab_b = a.open_tab("2005"), b.open_tab("2005")
    other_agent = b.open_tab("2006")

    for number in range(5):
        await a.hub.pop(f"pbx:{number}", PopTrigger.RINGING, "2005", None)
        await b.hub.pop(f"pbx:{number}", PopTrigger.ANSWERED, "2005", None)
    await a.hub.pop("pbx:0", PopTrigger.RINGING, "2006", None)
    await drain(a, b)

    delivered = sorted(tab_a.calls() + tab_b.calls())
    assert delivered == [f"pbx:{n}" for n in range(5)]
    assert other_agent.calls() == ["pbx:0"]


async def test_a_manual_pop_reaches_one_tab_even_when_asked_twice(
    pair: tuple[Process, Process],
) -> None:
    a, b = pair
    tab_a, tab_b = a.open_tab("2005"), b.open_tab("2005")

    assert await b.hub.notify("pbx:7", PopTrigger.MANUAL, "2005", CONTACT)
    assert await b.hub.notify("pbx:7", PopTrigger.MANUAL, "2005", CONTACT)
    await drain(a, b)

    manual = [m for m in tab_a.received + tab_b.received if m["trigger"] == "manual"]
    assert len(manual) == 2  # asked twice (not deduplicated), each delivered to one tab


async def test_a_worker_publishing_without_subscribing_reaches_the_serving_process(
    redis: Redis, fanout_options: FanoutOptions
) -> None:
    serving = await start_process(redis_url(), fanout_options, "serve")
    worker_relay = RedisPopRelay(redis_url(), fanout_options, subscribe=False, name="worker")
    worker_hub = PopHub(relay=worker_relay)
    await worker_relay.start(worker_hub)
    try:
        tab = serving.open_tab("2005")
        assert await worker_hub.pop("pbx:9", PopTrigger.RINGING, "2005", CONTACT)
        await until(lambda: tab.calls() == ["pbx:9"])
    finally:
        await worker_relay.aclose()
        await serving.relay.aclose()


async def test_malformed_messages_are_ignored_and_the_subscriber_keeps_going(
    pair: tuple[Process, Process], redis: Redis, fanout_options: FanoutOptions
) -> None:
    a, b = pair
    tab = b.open_tab("2005")
    for junk in (b"not json", b'{"claim": 3}', b"[1, 2]", b'{"claim": "x", "message": []}'):
        await redis.publish(fanout_options.channel, junk)

    await a.hub.pop("pbx:2", PopTrigger.RINGING, "2005", None)
    await until(lambda: tab.calls() == ["pbx:2"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_without_redis_pops_are_delivered_in_process(
    fanout_options: FanoutOptions,
) -> None:
    unreachable = f"redis://127.0.0.1:{_free_port()}/0"
    process = await start_unsubscribed(unreachable, fanout_options)
    try:
        tab = process.open_tab("2005")
        assert await process.hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
        assert not await process.hub.pop("pbx:1", PopTrigger.ANSWERED, "2005", CONTACT)
        assert tab.calls() == ["pbx:1"]
        assert not process.relay.available
        assert not await process.hub.pop("pbx:2", PopTrigger.RINGING, "2099", None)  # nobody
    finally:
        await process.relay.aclose()


async def start_unsubscribed(url: str, options: FanoutOptions) -> Process:
    relay = RedisPopRelay(url, options, name="alone")
    hub = PopHub(relay=relay)
    await relay.start(hub)
    return Process(hub, relay)


async def test_pops_go_in_process_while_redis_is_down_and_across_again_when_it_returns(
    redis: Redis, fanout_options: FanoutOptions
) -> None:
    host, port = redis_url().split("//")[1].split("/")[0].split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    through_proxy = f"redis://127.0.0.1:{proxy.port}/{redis_url().rsplit('/', 1)[1]}"
    a = await start_process(through_proxy, fanout_options, "A")
    b = await start_process(redis_url(), fanout_options, "B")
    try:
        local_tab, remote_tab = a.open_tab("2005"), b.open_tab("2006")

        await proxy.stop()
        assert await a.hub.pop("pbx:1", PopTrigger.RINGING, "2005", None)
        assert local_tab.calls() == ["pbx:1"]  # delivered in-process
        assert not a.relay.available

        await proxy.start()
        assert await a.relay.wait_subscribed(5)
        await until(lambda: a.relay.ready)
        assert await a.hub.pop("pbx:2", PopTrigger.RINGING, "2006", None)
        await until(lambda: remote_tab.calls() == ["pbx:2"])  # across processes again
    finally:
        await a.relay.aclose()
        await b.relay.aclose()
        await proxy.stop()
