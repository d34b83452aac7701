"""SQLite for the event loop: aiosqlite's interface, the statements run on the loop's thread.

aiosqlite runs every call on a thread of its own: the loop puts the call on a queue, the thread
wakes up, runs it, and hands the result back with ``call_soon_threadsafe``; the awaiting task
resumes one loop iteration later. On a local SQLite file the hand-off costs more than the
statement (a lookup by key takes microseconds), and every statement of a transaction waits for
a whole loop iteration, behind whatever else the loop has to do.

:class:`InlineConnection` is an :class:`aiosqlite.Connection` whose calls run at once, on the
calling thread. What can wait is kept off the loop:

- **another process's writer**: ``BEGIN IMMEDIATE`` / ``BEGIN EXCLUSIVE`` would wait for the
  write lock inside SQLite (its busy timeout); it is tried without waiting, and while the lock
  is held elsewhere tried again after short asynchronous sleeps, up to the busy timeout — the
  loop goes on meanwhile, and a cancelled task just stops trying;
- **checkpoints**: the connections do not checkpoint the WAL on commit (``wal_autocheckpoint``
  off); a :class:`Checkpointer` thread does it in the background, with its own connection,
  shortly after commits.

Everything else (reads, writes inside a transaction, commit in WAL mode) does not wait for other
connections. :func:`inline_creator` makes the ``async_creator`` for SQLAlchemy's
``sqlite+aiosqlite`` dialect, and :func:`inline_dbapi` the DBAPI module (``module=``) that
adapts those connections for SQLAlchemy.

**Statements without coroutines.** SQLAlchemy's aiosqlite adapter awaits every step of every
statement (open the cursor, execute under a lock, fetch, close: each an awaited coroutine, a
greenlet switch). On an inline connection none of those steps waits, so :class:`InlineCursor`
runs them directly on the ``sqlite3`` cursor and switches only when something does wait: a
``BEGIN IMMEDIATE`` behind another process's writer, or the loop's turn (below). A prebuilt
Core select went from about 128 to 94 microseconds, an empty read transaction (whose
``BEGIN`` now goes straight to the driver too) from about 258 to 207.

**Time slices.** Statements that never wait never give the loop a turn: a job's transaction
and the work around it ran as one long step, and a ring-time pop that arrived meanwhile waited
for all of it. So once statements have run for ``time_slice_seconds`` since the loop last had
a turn from here, the next statement first lets the loop go round once (``asyncio.sleep(0)``):
the pop's request gets in between. Code that must not wait its turn (the pop itself, see
``Database.read(urgent=True)``) runs its statements :func:`unsliced`.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from functools import partial
from typing import Any, cast

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncIODBAPIConnection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_, in_greenlet

log = logging.getLogger(__name__)

_WAITING_STATEMENTS = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
_unsliced: ContextVar[bool] = ContextVar("deskline_sqlite_unsliced", default=False)


@contextlib.contextmanager
def unsliced() -> Iterator[None]:
    """Statements run inside never let the loop go round first (see the module)."""
    token = _unsliced.set(True)
    try:
        yield
    finally:
        _unsliced.reset(token)


class _Slice:
    """When statements last gave their loop a turn (one clock for the process: the loop that
    runs SQLite statements is, in practice, the process's one loop)."""

    last_turn = 0.0


_slice = _Slice()


class _InlineQueue:
    """Takes the ``(future, function)`` items aiosqlite (and SQLAlchemy's adapter) queue for
    the connection's thread, and runs them at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection without its thread (see the module)."""

    def __init__(
        self,
        connector: Callable[[], sqlite3.Connection],
        *,
        on_commit: Callable[[], None] | None = None,
        time_slice_seconds: float = 0.0,
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _InlineQueue()  # type: ignore[assignment]
        self._on_commit = on_commit
        self._patience_ms: int | None = None
        self._time_slice = time_slice_seconds

    def __await__(self) -> Any:
        return self._connect().__await__()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        if args and isinstance(args[0], str) and self.waits(args[0]):
            return await self._take_write_lock(partial(fn, *args, **kwargs))
        await self._take_turns()
        result = fn(*args, **kwargs)
        if fn == self._connection.commit and self._on_commit is not None:
            self._on_commit()
        return result

    async def _take_turns(self) -> None:
        """Let the loop go round if statements have run for a whole time slice since it last
        had a turn from here."""
        if self._turn_due():
            await asyncio.sleep(0)
            _slice.last_turn = time.perf_counter()

    def _turn_due(self) -> bool:
        return (
            self._time_slice > 0
            and not _unsliced.get()
            and time.perf_counter() - _slice.last_turn >= self._time_slice
        )

    async def run(self, operation: str, parameters: Sequence[Any]) -> sqlite3.Cursor:
        """One statement straight on the driver, after the loop's turn when one is due (a
        statement that does not wait for another connection's write lock: not ``BEGIN``)."""
        if self._turn_due():
            await self._take_turns()
        return self._conn.execute(operation, parameters)

    async def begin(self, mode: str) -> None:
        """``BEGIN <mode>`` on the driver; a mode that takes the write lock waits for another
        connection's writer off the loop (:meth:`_take_write_lock`)."""
        statement = f"BEGIN {mode}"
        if self.waits(statement):
            await self._take_write_lock(partial(self._conn.execute, statement))
        else:
            self._conn.execute(statement)

    @staticmethod
    def waits(operation: str) -> bool:
        """Whether the statement may wait for another connection's write lock."""
        return operation.lstrip()[:15].upper().startswith(_WAITING_STATEMENTS)

    def commit_now(self) -> None:
        """Commit on the calling thread (WAL: a commit never waits for other connections)."""
        self._conn.commit()
        if self._on_commit is not None:
            self._on_commit()

    def rollback_now(self) -> None:
        self._conn.rollback()

    async def _take_write_lock(self, call: Callable[[], Any]) -> Any:
        """``BEGIN IMMEDIATE`` without waiting on the loop: tried with no busy timeout, and
        while another connection holds the write lock, tried again after a short sleep, up to
        the connection's busy timeout (then SQLite's "database is locked" error is raised).
        A task cancelled meanwhile simply stops trying."""
        connection = self._conn
        if self._patience_ms is None:  # set once connected (PRAGMA busy_timeout)
            self._patience_ms = _busy_timeout_ms(connection)
        patience = self._patience_ms
        deadline = asyncio.get_running_loop().time() + patience / 1000
        pause = 0.001
        while True:
            connection.execute("PRAGMA busy_timeout = 0")
            try:
                return call()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or asyncio.get_running_loop().time() >= deadline:
                    raise
            finally:
                connection.execute(f"PRAGMA busy_timeout = {patience}")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    def stop(self) -> asyncio.Future[Any] | None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        return None


class InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's cursor over an :class:`InlineConnection`: every step runs directly on the
    ``sqlite3`` cursor; only waiting (the write lock, the loop's turn) switches greenlets."""

    __slots__ = ()
    _awaitable_cursor_close = False  # close() closes the sqlite3 cursor directly

    def __init__(self, adapt_connection: InlineAdaptedConnection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = adapt_connection.inline._conn.cursor()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    @property
    def _inline(self) -> InlineConnection:
        return cast(InlineConnection, self._connection)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        inline = self._inline
        cursor: sqlite3.Cursor = self._cursor  # type: ignore[assignment]
        arguments = () if parameters is None else (parameters,)
        try:
            if isinstance(operation, str) and inline.waits(operation):
                await_(inline._take_write_lock(partial(cursor.execute, operation, *arguments)))
            else:
                # one switch per statement, always: the loop's turn when it is due (and
                # SQLAlchemy's async Core API insists that a statement awaited something)
                if in_greenlet():
                    await_(inline._take_turns())
                cursor.execute(operation, *arguments)
            if cursor.description is not None:
                self._rows = collections.deque(cursor.fetchall())
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        inline = self._inline
        try:
            if in_greenlet():
                await_(inline._take_turns())
            return self._cursor.executemany(operation, seq_of_parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)


class InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's connection over an :class:`InlineConnection` (see :class:`InlineCursor`);
    commit and rollback run directly too."""

    __slots__ = ()
    _cursor_cls = InlineCursor  # type: ignore[assignment]

    @property
    def inline(self) -> InlineConnection:
        return cast(InlineConnection, self._connection)

    def begin(self, mode: str) -> None:
        """``BEGIN <mode>`` on the driver (SQLAlchemy's ``begin`` event), without a trip
        through SQLAlchemy's statement execution; errors are SQLAlchemy's, as for a statement."""
        try:
            await_(self.inline.begin(mode))
        except sqlite3.Error as error:
            raise DBAPIError.instance(f"BEGIN {mode}", None, error, sqlite3.Error) from error

    def commit(self) -> None:
        self._directly(self.inline.commit_now)

    def rollback(self) -> None:
        self._directly(self.inline.rollback_now)

    def _directly(self, step: Callable[[], None]) -> None:
        if self.inline._connection is not None:
            try:
                step()
            except Exception as error:
                self._handle_exception(error)


class _InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI module, adapting :class:`InlineConnection` with
    :class:`InlineAdaptedConnection`."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        creator = kw.pop("async_creator_fn", None)
        if creator is None:
            raise TypeError("inline SQLite connections are made by an async_creator")
        connection = await_(creator(*arg, **kw))
        if isinstance(connection, InlineConnection):
            return InlineAdaptedConnection(self, cast(AsyncIODBAPIConnection, connection))
        return AsyncAdapt_aiosqlite_connection(self, connection)


def inline_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI module (``create_async_engine(module=…)``) for :func:`inline_creator`."""
    return _InlineDBAPI(aiosqlite, sqlite3)


def _busy_timeout_ms(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA busy_timeout").fetchone()[0])


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc)


def inline_creator(
    path: str,
    *,
    timeout: float,
    on_commit: Callable[[], None] | None = None,
    time_slice_seconds: float = 0.0,
) -> Callable[[], Awaitable[InlineConnection]]:
    """The ``async_creator`` of an engine whose connections are :class:`InlineConnection`."""

    def connect() -> sqlite3.Connection:
        # one task at a time uses it, always on the loop's thread; check_same_thread=False only
        # lets the pool close it from wherever the engine is disposed
        connection = sqlite3.connect(path, timeout=timeout, check_same_thread=False)
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        return connection

    async def create() -> InlineConnection:
        connection = InlineConnection(
            connect, on_commit=on_commit, time_slice_seconds=time_slice_seconds
        )
        await connection._connect()
        return connection

    return create


class Checkpointer:
    """Checkpoints a WAL database in a background thread, soon after commits.

    :meth:`committed` (cheap, any thread) says there is something to checkpoint; the thread
    waits ``delay_seconds`` to gather commits, then runs a passive checkpoint (it never waits
    for readers or writers). Stops with :meth:`stop`, or when the owner is collected."""

    def __init__(self, path: str, *, delay_seconds: float = 0.5, busy_timeout_ms: int = 1000):
        _running_checkpointers.add(self)
        self.path = path
        self.delay_seconds = delay_seconds
        self.busy_timeout_ms = busy_timeout_ms
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Checkpointer({self.path!r})"

    def committed(self) -> None:
        self._wake.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopping.is_set():
                    self._thread = threading.Thread(
                        target=_checkpoint_loop,
                        args=(weakref.ref(self), self._wake, self._stopping),
                        name="sqlite-checkpoint",
                        daemon=True,
                    )
                    self._thread.start()

    def checkpoint(self) -> None:
        """One passive checkpoint now (on the calling thread)."""
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()

    def stop(self, final_checkpoint: bool = True) -> None:
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        if final_checkpoint:
            with contextlib.suppress(sqlite3.Error):
                self.checkpoint()


_running_checkpointers: weakref.WeakSet[Checkpointer] = weakref.WeakSet()


@atexit.register
def _stop_checkpointers() -> None:
    """A thread must not be in SQLite while the interpreter shuts down."""
    for checkpointer in list(_running_checkpointers):
        checkpointer.stop(final_checkpoint=False)


def _checkpoint_loop(
    owner: weakref.ref[Checkpointer], wake: threading.Event, stopping: threading.Event
) -> None:
    while not stopping.is_set():
        wake.wait(timeout=5.0)
        checkpointer = owner()
        if checkpointer is None:
            return
        if not wake.is_set():
            continue
        if stopping.wait(checkpointer.delay_seconds):
            return
        wake.clear()
        try:
            checkpointer.checkpoint()
        except sqlite3.Error as exc:
            log.warning("%r: checkpoint failed: %s", checkpointer, exc)
        del checkpointer
