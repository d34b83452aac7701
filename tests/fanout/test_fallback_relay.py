"""Redis first, the database when Redis cannot take a worker's pop: while Redis is down, or
while no serve listens, the worker's pops are stored and the serve processes deliver them,
once per call and agent; with Redis up and a serve listening, nothing is stored."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from deskline.fanout import (
    FallbackPopRelay,
    FanoutOptions,
    RedisPopRelay,
    StoredPopRelay,
)
from deskline.pipeline.screen_pop import PopHub, PopTrigger
from deskline.store.db import Database
from deskline.store.models import RelayedPop
from tests.fanout.conftest import redis_url
from tests.fanout.test_relay import CONTACT, Tab
from tests.fanout.test_stored_relay import FAST, rows, until

pytestmark = pytest.mark.redis


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there any more


class Node:
    """A process's hub and its fallback relay."""

    def __init__(self, db: Database, url: str, options: FanoutOptions, *, serve: bool) -> None:
        name = "serve" if serve else "worker"
        self.relay = FallbackPopRelay(
            RedisPopRelay(url, options, subscribe=serve, name=name),
            StoredPopRelay(db, FAST, subscribe=serve, name=name),
        )
        self.hub = PopHub(relay=self.relay, hold_seconds=60 if serve else 0)


@pytest.fixture
async def nodes() -> AsyncIterator[list[Node]]:
    started: list[Node] = []
    yield started
    for node in started:
        await node.relay.aclose()


async def start(nodes: list[Node], node: Node) -> Node:
    await node.relay.start(node.hub)
    nodes.append(node)
    return node


async def test_while_redis_is_down_a_workers_pops_go_through_the_database(
    db: Database, fanout_options: FanoutOptions, nodes: list[Node]
) -> None:
    down = closed_port_url()
    worker = await start(nodes, Node(db, down, fanout_options, serve=False))
    serve = await start(nodes, Node(db, down, fanout_options, serve=True))
    tabs = [Tab(), Tab()]
    for tab in tabs:
        serve.hub.connect("2005", tab.send)

    for n in range(3):
        assert await worker.hub.pop(f"pbx:{n}", PopTrigger.RINGING, "2005", CONTACT)
    await until(lambda: sum(len(t.received) for t in tabs) == 3)
    await asyncio.sleep(0.1)

    assert sorted(c for t in tabs for c in t.calls()) == ["pbx:0", "pbx:1", "pbx:2"]
    assert not worker.relay.primary.ready
    assert await rows(db, RelayedPop) == 3


async def test_a_pop_no_serve_listened_for_on_redis_is_stored_for_the_next_one(
    db: Database, redis: Redis, fanout_options: FanoutOptions, nodes: list[Node]
) -> None:
    worker = await start(nodes, Node(db, redis_url(), fanout_options, serve=False))
    assert await worker.hub.pop("pbx:lonely", PopTrigger.RINGING, "2005", CONTACT)
    assert await rows(db, RelayedPop) == 1  # Redis had no subscriber

    serve = await start(nodes, Node(db, redis_url(), fanout_options, serve=True))
    await until(lambda: bool(serve.hub.held("2005")))
    tab = Tab()
    await serve.hub.catch_up(serve.hub.connect("2005", tab.send))
    assert tab.calls() == ["pbx:lonely"]


async def test_with_redis_up_and_a_serve_listening_nothing_is_stored(
    db: Database, redis: Redis, fanout_options: FanoutOptions, nodes: list[Node]
) -> None:
    serve = await start(nodes, Node(db, redis_url(), fanout_options, serve=True))
    assert await serve.relay.primary.wait_subscribed(5)
    tab = Tab()
    serve.hub.connect("2005", tab.send)
    worker = await start(nodes, Node(db, redis_url(), fanout_options, serve=False))

    assert await worker.hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    await until(lambda: tab.calls() == ["pbx:1"])
    await asyncio.sleep(0.1)

    assert tab.calls() == ["pbx:1"]
    assert await rows(db, RelayedPop) == 0
