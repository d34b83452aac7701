"""SQLite statements on the event loop's thread: what may wait is kept off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from deskline.errors import StorageError
from deskline.store.db import Database
from deskline.store.sqlite_inline import Checkpointer, InlineAdaptedConnection, InlineConnection


def _file_db(path: Path, **options: object) -> Database:
    return Database(f"sqlite+aiosqlite:///{path}", **options)  # type: ignore[arg-type]


async def _driver_connection(db: Database) -> object:
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        return raw.driver_connection


async def test_a_file_database_runs_statements_inline_unless_threads_are_asked_for(
    tmp_path: Path,
) -> None:
    inline = _file_db(tmp_path / "a.db")
    threaded = _file_db(tmp_path / "b.db", sqlite_threads=True)
    memory = Database("sqlite+aiosqlite:///:memory:")
    try:
        assert isinstance(await _driver_connection(inline), InlineConnection)
        assert not isinstance(await _driver_connection(threaded), InlineConnection)
        assert not isinstance(await _driver_connection(memory), InlineConnection)
    finally:
        for db in (inline, threaded, memory):
            await db.dispose()


async def test_statements_run_on_the_loop_thread(tmp_path: Path) -> None:
    db = _file_db(tmp_path / "a.db")
    threads: list[int] = []
    try:
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            sqlite = raw.driver_connection._conn  # type: ignore[union-attr]
            sqlite.create_function("thread_id", 0, lambda: threads.append(threading.get_ident()))
            await connection.execute(text("SELECT thread_id()"))
    finally:
        await db.dispose()
    assert threads == [threading.get_ident()]


async def test_closing_a_session_never_waits_so_it_needs_no_shield(tmp_path: Path) -> None:
    """Database closes inline sessions without SQLAlchemy's shielded task
    (``Database._opened``): only sound while a close cannot be cut short by a cancellation,
    i.e. never gives the loop a turn, after reads and after writes alike."""
    db = _file_db(tmp_path / "a.db")
    try:
        async with db.write_connection() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        for sessions in (db.sessions, db._write_sessions):
            session = sessions()
            await session.execute(text("INSERT INTO t VALUES (1)"))
            closing = session.close()
            with pytest.raises(StopIteration):  # done at the first step: it never suspended
                closing.send(None)
            assert not session.in_transaction()
        async with db.read() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    finally:
        await db.dispose()


async def test_statements_errors_and_rollbacks_behave_as_through_aiosqlite(
    tmp_path: Path,
) -> None:
    """The direct cursor keeps SQLAlchemy's contract: rows, rowcounts, the DBAPI's errors
    wrapped as SQLAlchemy's, and a rolled-back write gone."""
    db = _file_db(tmp_path / "a.db")
    try:
        async with db.engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.dbapi_connection, InlineAdaptedConnection)
            await connection.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"))
            await connection.execute(
                text("INSERT INTO t VALUES (:k, :v)"), [{"k": "a", "v": 1}, {"k": "b", "v": 2}]
            )
            updated = await connection.execute(text("UPDATE t SET v = v + 10"))
            assert updated.rowcount == 2
        with pytest.raises(IntegrityError):
            async with db.engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES ('c', 3)"))
                await connection.execute(text("INSERT INTO t VALUES ('a', 4)"))
        with pytest.raises(OperationalError, match="no such table"):
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT * FROM missing"))
        async with db.engine.connect() as connection:
            rows = (await connection.execute(text("SELECT k, v FROM t ORDER BY k"))).all()
        assert [tuple(row) for row in rows] == [("a", 11), ("b", 12)]  # 'c' rolled back
    finally:
        await db.dispose()


async def test_waiting_for_another_process_s_writer_does_not_stop_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    ours, theirs = _file_db(path), _file_db(path)  # two processes' databases on one file
    try:
        async with ours.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        release = asyncio.Event()
        held = asyncio.Event()

        async def their_long_write() -> None:
            async with theirs.transaction() as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
                held.set()
                await release.wait()

        holder = asyncio.create_task(their_long_write())
        await held.wait()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while not release.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        async def our_write() -> float:
            started = time.monotonic()
            async with ours.transaction() as session:
                await session.execute(text("INSERT INTO t VALUES (2)"))
            return time.monotonic() - started

        ticking = asyncio.create_task(ticker())
        writing = asyncio.create_task(our_write())
        await asyncio.sleep(0.5)
        assert not writing.done()  # waiting for their write lock …
        assert ticks >= 20  # … while the loop went on with other work
        release.set()
        await holder
        waited = await writing
        await ticking
        assert waited >= 0.4
        async with ours.read() as session:
            rows = (await session.execute(text("SELECT v FROM t ORDER BY v"))).scalars().all()
        assert rows == [1, 2]
    finally:
        await ours.dispose()
        await theirs.dispose()


async def test_a_writer_held_past_the_busy_timeout_is_a_clear_storage_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    ours, theirs = _file_db(path, busy_timeout_ms=200), _file_db(path)
    try:
        async with ours.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        async with theirs.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            with pytest.raises(StorageError, match="database is locked"):
                async with ours.transaction() as mine:
                    await mine.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        await ours.dispose()
        await theirs.dispose()


async def test_commits_are_checkpointed_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    db = _file_db(path)
    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (v TEXT)"))
        size_before = path.stat().st_size
        for _ in range(20):
            async with db.transaction() as session:
                await session.execute(text("INSERT INTO t VALUES (:v)"), [{"v": "x" * 1000}] * 50)
        wal = Path(f"{path}-wal")
        assert wal.stat().st_size > 1_000_000  # the connections never checkpoint themselves
        async with asyncio.timeout(10):
            while path.stat().st_size < size_before + 900_000:
                await asyncio.sleep(0.05)  # the checkpointer copies the WAL into the file
    finally:
        await db.dispose()
    assert not any(t.name == "sqlite-checkpoint" and t.is_alive() for t in threading.enumerate())


def test_a_stopped_checkpointer_ends_its_thread_and_starts_no_other(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "stopped.db"
    sqlite3.connect(path).close()
    checkpointer = Checkpointer(str(path), delay_seconds=0.01)
    checkpointer.committed()
    thread = checkpointer._thread
    assert thread is not None and thread.is_alive()
    checkpointer.stop(final_checkpoint=False)
    assert not thread.is_alive()
    checkpointer.committed()  # stopped: no new thread
    assert checkpointer._thread is thread


async def test_a_write_cancelled_while_it_waits_for_the_lock_leaves_the_database_usable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    ours, theirs = _file_db(path), _file_db(path)
    try:
        async with ours.transaction() as session:
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        async with theirs.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))

            async def our_write() -> None:
                async with ours.transaction() as mine:
                    await mine.execute(text("INSERT INTO t VALUES (2)"))

            waiting = asyncio.create_task(our_write())
            await asyncio.sleep(0.3)  # waiting for their lock
            started = time.monotonic()
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert time.monotonic() - started < 5  # interrupted, not the 15 s busy timeout
        async with ours.transaction() as session:  # their write is done: ours goes through
            await session.execute(text("INSERT INTO t VALUES (3)"))
        async with ours.read() as session:
            rows = (await session.execute(text("SELECT v FROM t ORDER BY v"))).scalars().all()
        assert rows == [1, 3]
    finally:
        await ours.dispose()
        await theirs.dispose()


async def _statements_and_ticks(db: Database, *, urgent: bool = False) -> list[str]:
    """Five statements of 3 ms each, and another task that wants the loop meanwhile."""
    order: list[str] = []

    async def other_task() -> None:
        for _ in range(3):
            order.append("other")
            await asyncio.sleep(0)

    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        sqlite = raw.driver_connection._conn  # type: ignore[union-attr]
        sqlite.create_function("busy", 0, lambda: time.sleep(0.003))
        task = asyncio.create_task(other_task())
        async with db.read(urgent=True) if urgent else contextlib.AsyncExitStack():
            for _ in range(5):
                await connection.execute(text("SELECT busy()"))
                order.append("statement")
        await task
    return order


async def test_a_long_run_of_statements_lets_other_tasks_have_the_loop(tmp_path: Path) -> None:
    sliced = _file_db(tmp_path / "a.db", sqlite_time_slice_ms=2)
    never = _file_db(tmp_path / "b.db", sqlite_time_slice_ms=0)
    try:
        order = await _statements_and_ticks(sliced)
        assert order.index("other") < 4  # in between, not after all five
        assert order.count("statement") == 5
        assert await _statements_and_ticks(never) == ["statement"] * 5 + ["other"] * 3
        # a ring-time pop's statements (an urgent read) keep the loop
        assert await _statements_and_ticks(sliced, urgent=True) == ["statement"] * 5 + ["other"] * 3
    finally:
        await sliced.dispose()
        await never.dispose()
