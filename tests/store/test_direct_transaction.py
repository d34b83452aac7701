"""Direct transactions: what a session's transaction guarantees (commit, rollback, errors, the
writer's turn, the read caches), without a session on the inline SQLite driver; a session on
PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.errors import StorageError
from deskline.store.db import Database
from deskline.store.direct import DirectStatement
from deskline.store.direct_transaction import DirectTransaction, orm_session
from deskline.store.models import CallAction
from deskline.store.sqlite_inline import InlineAdaptedConnection
from tests.store.action_rows import ACTIONS, ADD, action

_KEYS = DirectStatement(
    select(ACTIONS.c.key).where(ACTIONS.c.pbx_call_id == bindparam("call_id")).order_by("key")
)


async def _keys(db: Database) -> list[str]:
    async with db.read() as session:
        return cast(list[str], (await _KEYS.execute(session, {"call_id": "c1"})).scalars())


def _file(db: Database) -> Path:
    return Path(db.engine.url.database or "")


async def test_a_write_commits_and_an_error_rolls_back(db: Database) -> None:
    async with db.direct_transaction() as on:
        await ADD.execute(on, action("a"))
        assert [*(await _KEYS.execute(on, {"call_id": "c1"})).scalars()] == ["a"]  # its own
    assert await _keys(db) == ["a"]

    with pytest.raises(RuntimeError):
        async with db.direct_transaction() as on:
            await ADD.execute(on, action("b"))
            raise RuntimeError("the job's code failed")
    assert await _keys(db) == ["a"]

    with pytest.raises(StorageError, match=r"UNIQUE|unique|duplicate"):
        async with db.direct_transaction() as on:
            await ADD.execute(on, action("c"))
            await ADD.execute(on, action("a"))  # the key is taken
    assert await _keys(db) == ["a"]  # "c" went with it


async def test_sqlite_inline_runs_without_a_session_postgresql_with_one(db: Database) -> None:
    async with db.direct_read() as reading, db.direct_transaction() as writing:
        kinds = {type(reading), type(writing)}
    if db.dialect == "sqlite":
        assert kinds == {DirectTransaction}
    else:
        assert all(issubclass(kind, AsyncSession) for kind in kinds)


async def test_a_read_sees_one_snapshot_and_writes_nothing(sqlite_db: Database) -> None:
    async with sqlite_db.direct_read() as on:
        assert [*(await _KEYS.execute(on, {"call_id": "c1"})).scalars()] == []
        async with sqlite_db.direct_transaction() as writing:  # meanwhile, elsewhere
            await ADD.execute(writing, action("a"))
        assert [*(await _KEYS.execute(on, {"call_id": "c1"})).scalars()] == []  # its snapshot
    async with sqlite_db.direct_read() as on:
        await ADD.execute(on, action("b"))  # a read's writes are rolled back
    assert await _keys(sqlite_db) == ["a"]


async def test_write_transactions_take_turns_with_sessions(sqlite_db: Database) -> None:
    order: list[str] = []
    entered = asyncio.Event()

    async def direct() -> None:
        async with sqlite_db.direct_transaction() as on:
            entered.set()
            order.append("direct begins")
            await ADD.execute(on, action("a"))
            await asyncio.sleep(0.05)  # the session's transaction waits meanwhile
            order.append("direct ends")

    async def session() -> None:
        await entered.wait()
        async with sqlite_db.transaction() as session:
            order.append("session begins")
            await ADD.execute(session, action("b"))

    await asyncio.gather(direct(), session())
    assert order == ["direct begins", "direct ends", "session begins"]
    assert await _keys(sqlite_db) == ["a", "b"]


async def test_another_processs_writer_is_waited_for_without_blocking_the_loop(
    sqlite_db: Database,
) -> None:
    other = sqlite3.connect(_file(sqlite_db), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    try:

        async def write() -> None:
            async with sqlite_db.direct_transaction() as on:
                await ADD.execute(on, action("a"))

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.1)
        assert not writing.done() and ticks >= 5  # waiting, and the loop goes on
        other.rollback()
        await asyncio.wait_for(writing, 5)
    finally:
        ticker.cancel()
        other.close()
    assert await _keys(sqlite_db) == ["a"]


async def test_a_cancelled_write_rolls_back_and_its_connection_serves_again(
    sqlite_db: Database,
) -> None:
    started = asyncio.Event()

    async def write() -> None:
        async with sqlite_db.direct_transaction() as on:
            await ADD.execute(on, action("a"))
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(write())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _keys(sqlite_db) == []
    assert sqlite_db._direct is not None
    (free,) = sqlite_db._direct._free  # back, and out of its transaction
    assert not free._conn.in_transaction
    async with sqlite_db.direct_transaction() as on:
        assert isinstance(on, DirectTransaction) and on.inline is free
        await ADD.execute(on, action("b"))
    assert await _keys(sqlite_db) == ["b"]


async def test_the_read_caches_see_what_it_wrote(sqlite_db: Database) -> None:
    cache = sqlite_db.read_cache({"call_actions"})
    reads = 0

    async def read(on: Any) -> list[str]:
        nonlocal reads
        reads += 1
        return cast(list[str], (await _KEYS.execute(on, {"call_id": "c1"})).scalars())

    async with sqlite_db.direct_read() as on:
        assert await cache.read_through(on, "c1", lambda: read(on)) == []
        assert await cache.read_through(on, "c1", lambda: read(on)) == []
    assert reads == 1  # cached
    async with sqlite_db.direct_transaction() as on:
        await ADD.execute(on, action("a"))
        # its own write, not committed: read, and not kept for others
        assert await cache.read_through(on, "c1", lambda: read(on)) == ["a"]
    assert reads == 2
    async with sqlite_db.direct_read() as on:  # committed: the cached [] is stale
        assert await cache.read_through(on, "c1", lambda: read(on)) == ["a"]
    assert reads == 3


async def test_a_rolled_back_write_still_makes_cached_reads_stale(sqlite_db: Database) -> None:
    generation = sqlite_db.changes.generation(["call_actions"])
    with pytest.raises(RuntimeError):
        async with sqlite_db.direct_transaction() as on:
            await ADD.execute(on, action("a"))
            raise RuntimeError
    assert sqlite_db.changes.generation(["call_actions"]) != generation


async def test_the_orm_beside_a_read_but_never_beside_a_write(sqlite_db: Database) -> None:
    async with sqlite_db.direct_transaction() as on:
        await ADD.execute(on, action("a"))
        with pytest.raises(TypeError, match="direct statements only"):
            await orm_session(on)
    async with sqlite_db.direct_read() as on:
        session = await orm_session(on)
        assert session is await orm_session(on)  # one, opened on first use
        assert (await session.execute(select(CallAction.key))).scalars().all() == ["a"]
    assert session.sync_session.get_transaction() is None  # closed with the read


async def test_its_connections_are_set_up_as_the_engines_are(sqlite_db: Database) -> None:
    async with sqlite_db.direct_read() as on:
        assert isinstance(on, DirectTransaction)
        direct = {
            pragma: on.inline._conn.execute(f"PRAGMA {pragma}").fetchone()[0]
            for pragma in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    async with sqlite_db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = cast(InlineAdaptedConnection, raw.dbapi_connection)
        engine = {
            pragma: driver.inline._conn.execute(f"PRAGMA {pragma}").fetchone()[0]
            for pragma in direct
        }
    assert direct == engine
    assert direct["journal_mode"] == "wal" and direct["foreign_keys"] == 1


async def test_disposing_closes_its_connections(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    await db.upgrade()
    async with db.direct_read() as on:
        assert isinstance(on, DirectTransaction)
        inline = on.inline
    await db.dispose()
    assert inline._connection is None
    with pytest.raises(RuntimeError, match="disposed"):
        async with db.direct_read():
            pass
