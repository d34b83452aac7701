"""Screen pops from a worker to the agents' serve processes through the database (no Redis):
the worker stores its pops, every serve reads them and delivers each once per call and agent,
also to a console that connects later; on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from deskline.fanout import StoredPopRelay, StoredRelayOptions
from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.screen_pop import PopHub, PopTrigger
from deskline.store.db import Database
from deskline.store.models import PopClaim, RelayedPop
from deskline.store.types import utcnow
from tests.fanout.test_relay import Process

HOSTILE = IndexedContact("901", 'Ada "{{ x }}"\r\nLovelace', "😀" * 300, numbers=("+15135557611",))
FAST = StoredRelayOptions(poll_seconds=0.02, lookback_seconds=1.0, prune_every_seconds=0)


async def rows(db: Database, model: type[RelayedPop] | type[PopClaim]) -> int:
    """How many rows the table of ``model`` holds."""
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar() or 0)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the relayed pop did not arrive")
        await asyncio.sleep(0.02)


def serve_process(db: Database, name: str) -> Process:
    """A serve process: its hub (holding pops 60 s) and its database relay."""
    relay = StoredPopRelay(db, FAST, name=name)
    return Process(PopHub(relay=relay, hold_seconds=60), relay)


@pytest.fixture
async def worker(db: Database) -> AsyncIterator[PopHub]:
    relay = StoredPopRelay(db, subscribe=False, name="worker-1")
    hub = PopHub(relay=relay, hold_seconds=0)
    await relay.start(hub)
    yield hub
    await relay.aclose()


@pytest.fixture
async def serves(db: Database) -> AsyncIterator[list[Process]]:
    started: list[Process] = []
    yield started
    for serve in started:
        await serve.relay.aclose()


async def start(serves: list[Process], db: Database, name: str) -> Process:
    serve = serve_process(db, name)
    await serve.relay.start(serve.hub)
    serves.append(serve)
    return serve


async def test_a_workers_pop_reaches_the_agents_serve_unchanged(
    db: Database, worker: PopHub, serves: list[Process]
) -> None:
    serve = await start(serves, db, "serve-a")
    tab = serve.open_tab("2005")

    assert await worker.pop("simulator:c1", PopTrigger.RINGING, "2005", HOSTILE)
    await until(lambda: bool(tab.received))

    [message] = tab.received
    assert message["call_id"] == "simulator:c1"
    # on SQLite the serve polls; on PostgreSQL it also listens for the worker's notices
    assert (serve.relay.notices is None) == (db.dialect == "sqlite")  # type: ignore[attr-defined]
    assert message["contact"]["first_name"] == HOSTILE.first_name
    assert message["contact"]["last_name"] == HOSTILE.last_name
    assert serve.relay.ready


async def test_two_serve_processes_with_the_agent_deliver_each_pop_once(
    db: Database, worker: PopHub, serves: list[Process]
) -> None:
    a, b = await start(serves, db, "serve-a"), await start(serves, db, "serve-b")
    tabs = [a.open_tab("2005"), b.open_tab("2005"), a.open_tab("2005")]

    for n in range(5):
        assert await worker.pop(f"simulator:c{n}", PopTrigger.RINGING, "2005", HOSTILE)
    await until(lambda: a.relay.delivered == 5 and b.relay.delivered == 5)
    await asyncio.sleep(0.1)

    delivered = sorted(call for tab in tabs for call in tab.calls())
    assert delivered == [f"simulator:c{n}" for n in range(5)]
    assert await rows(db, PopClaim) == 5


async def test_a_pop_stored_while_no_serve_listened_reaches_a_console_that_connects_later(
    db: Database, worker: PopHub, serves: list[Process]
) -> None:
    assert await worker.pop("simulator:early", PopTrigger.RINGING, "2005", HOSTILE)

    serve = await start(serves, db, "serve-a")  # started after the pop was stored
    await until(lambda: serve.relay.delivered == 1)
    assert serve.hub.held("2005")  # no console yet: held for it
    tab = await serve.connect_console("2005")

    assert tab.calls() == ["simulator:early"]
    assert not serve.hub.held("2005")


async def test_pops_older_than_the_catch_up_are_not_replayed(
    db: Database, worker: PopHub, serves: list[Process]
) -> None:
    assert await worker.pop("simulator:old", PopTrigger.RINGING, "2005", HOSTILE)
    async with db.transaction() as session:
        await session.execute(
            update(RelayedPop).values(created_at=utcnow() - timedelta(seconds=120))
        )

    serve = await start(serves, db, "serve-a")
    tab = serve.open_tab("2005")
    assert await worker.pop("simulator:new", PopTrigger.RINGING, "2005", HOSTILE)
    await until(lambda: bool(tab.received))
    await asyncio.sleep(0.1)

    assert tab.calls() == ["simulator:new"]


async def test_a_call_the_serve_popped_itself_is_not_popped_again_by_the_worker(
    db: Database, worker: PopHub, serves: list[Process]
) -> None:
    serve = await start(serves, db, "serve-a")
    tab = serve.open_tab("2005")
    assert await serve.hub.pop("simulator:c1", PopTrigger.RINGING, "2005", HOSTILE)  # local
    assert await worker.pop("simulator:c1", PopTrigger.RINGING, "2005", HOSTILE)
    await until(lambda: serve.relay.delivered == 1)
    await asyncio.sleep(0.05)

    assert tab.calls() == ["simulator:c1"]
    assert await rows(db, PopClaim) == 0  # the serve's own pop never touched the database


async def test_old_relayed_pops_and_claims_are_pruned(
    db: Database, worker: PopHub, serves: list[Process]
) -> None:
    serve = await start(serves, db, "serve-a")
    tab = serve.open_tab("2005")
    assert await worker.pop("simulator:c1", PopTrigger.RINGING, "2005", HOSTILE)
    await until(lambda: bool(tab.received))  # sent once claimed: the claim row is there
    long_ago = utcnow() - timedelta(days=1)
    async with db.transaction() as session:
        await session.execute(update(RelayedPop).values(created_at=long_ago))
        await session.execute(update(PopClaim).values(created_at=long_ago))

    async def counts() -> tuple[int, int]:
        return await rows(db, RelayedPop), await rows(db, PopClaim)

    deadline = asyncio.get_running_loop().time() + 5
    while await counts() != (0, 0):
        assert asyncio.get_running_loop().time() < deadline, await counts()
        await asyncio.sleep(0.05)


async def test_a_worker_that_cannot_store_its_pop_says_so_and_keeps_going(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/never-migrated.db")  # no tables
    relay = StoredPopRelay(db, subscribe=False, name="worker-1")
    hub = PopHub(relay=relay, hold_seconds=0)
    try:
        assert not await hub.pop("simulator:c1", PopTrigger.RINGING, "2005", HOSTILE)
        assert not relay.ready
    finally:
        await db.dispose()


async def test_a_worker_prunes_old_relayed_pops_when_no_serve_reads_them(db: Database) -> None:
    first = StoredPopRelay(db, subscribe=False, name="worker-1")
    assert await first.publish("pop:simulator:old:2005", {"type": "pop"})
    async with db.transaction() as session:
        await session.execute(update(RelayedPop).values(created_at=utcnow() - timedelta(days=1)))

    second = StoredPopRelay(db, subscribe=False, name="worker-2")
    assert await second.publish("pop:simulator:new:2005", {"type": "pop"})

    async with db.read() as session:
        claims = (await session.execute(select(RelayedPop.claim))).scalars().all()
    assert claims == ["pop:simulator:new:2005"]


@asynccontextmanager
async def listening_serve(
    db: Database, notice_retry_seconds: float = 5.0
) -> AsyncIterator[tuple[PopHub, Process]]:
    """On PostgreSQL: a worker's hub and a serve whose poll is a minute away, once the serve
    listens for notices."""
    worker = PopHub(relay=StoredPopRelay(db, subscribe=False, name="worker-1"), hold_seconds=0)
    options = StoredRelayOptions(poll_seconds=60.0, notice_retry_seconds=notice_retry_seconds)
    relay = StoredPopRelay(db, options, name="serve-a")
    serve = Process(PopHub(relay=relay, hold_seconds=60), relay)
    await relay.start(serve.hub)
    try:
        assert relay.notices is not None
        await asyncio.wait_for(relay.notices.listening.wait(), 10)
        yield worker, serve
    finally:
        await relay.aclose()
    assert not relay.notices.listening.is_set()


@pytest.mark.postgres
async def test_on_postgresql_a_stored_pop_is_read_at_once_not_at_the_next_poll(
    postgres_db: Database,
) -> None:
    """The worker's notice wakes the serve's reader: its poll is a minute away."""
    async with listening_serve(postgres_db) as (worker, serve):
        tab = serve.open_tab("2005")
        for n in range(3):  # each one wakes it again
            assert await worker.pop(f"simulator:c{n}", PopTrigger.RINGING, "2005", HOSTILE)
            await until(lambda n=n: len(tab.received) == n + 1)  # type: ignore[misc]
        assert [m["call_id"] for m in tab.received] == [f"simulator:c{n}" for n in range(3)]


@pytest.mark.postgres
async def test_on_postgresql_a_broken_listening_connection_is_made_again(
    postgres_db: Database,
) -> None:
    async with listening_serve(postgres_db, notice_retry_seconds=0.1) as (worker, serve):
        notices = serve.relay.notices  # type: ignore[attr-defined]
        async with postgres_db.transaction() as session:  # what a database restart does to it
            ended = await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
                )
            )
            assert ended.scalars().all() == [True]
        await until(lambda: not notices.listening.is_set())
        await asyncio.wait_for(notices.listening.wait(), 10)

        tab = serve.open_tab("2005")
        assert await worker.pop("simulator:c1", PopTrigger.RINGING, "2005", HOSTILE)
        await until(lambda: bool(tab.received))
