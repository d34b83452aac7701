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
``sqlite+aiosqlite`` dialect.

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
import contextlib
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from functools import partial
from typing import Any

import aiosqlite

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
        if (
            args
            and isinstance(args[0], str)
            and args[0].lstrip().upper().startswith(_WAITING_STATEMENTS)
        ):
            return await self._take_write_lock(partial(fn, *args, **kwargs))
        if self._time_slice > 0 and not _unsliced.get():
            await self._take_turns()
        result = fn(*args, **kwargs)
        if fn == self._connection.commit and self._on_commit is not None:
            self._on_commit()
        return result

    async def _take_turns(self) -> None:
        """Let the loop go round if statements have run for a whole time slice since it last
        had a turn from here."""
        if time.perf_counter() - _slice.last_turn >= self._time_slice:
            await asyncio.sleep(0)
            _slice.last_turn = time.perf_counter()

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
