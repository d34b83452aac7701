"""Which tables this process has changed: counters that let hot reads be cached safely.

Every call event asked the database for the same few things (the helpdesk connection, the bound
extensions, the contact of the caller). :class:`TableChanges` watches the statements this
process sends: a connection that wrote to a table bumps that table's counter when it goes back
to the pool — after its transaction committed or rolled back — so a value read before the bump
is recognised as possibly stale. Statements it cannot attribute to a table (DDL, raw SQL)
bump every counter.

Other processes (scale-out workers) are not seen: a :class:`ReadCache` entry also expires after
its time to live, the bound on how long another process's change can go unnoticed.

    cache = ReadCache(db.changes, {"extension_bindings"}, ttl_seconds=1.0)
    stamp = cache.stamp()               # before reading
    value = cache.get(key, stamp)       # MISSING when absent or stale
    if value is MISSING:
        value = await read(...)
        cache.put(key, value, stamp)
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

if TYPE_CHECKING:
    from deskline.store.direct_transaction import Statements

K = TypeVar("K")
V = TypeVar("V")

_WRITTEN_KEY: Final = "deskline_written_tables"
_EVERYTHING: Final = "*"
_WRITE = re.compile(
    r"""^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)"?""",
    re.IGNORECASE,
)
_READ_ONLY = re.compile(
    r"^\s*(?:SELECT|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|SHOW|SET)\b", re.IGNORECASE
)


def written_table(statement: str) -> str | None:
    """The table a statement writes; None when it writes nothing; ``"*"`` when unknown."""
    found = _WRITE.match(statement)
    if found:
        return found.group(1).lower()
    if _READ_ONLY.match(statement):
        return None
    return _EVERYTHING


def note_write(conn: Any, statement: str) -> None:
    """Remember on the connection which table its transaction wrote."""
    table = written_table(statement)
    if table is not None:
        note_written(conn, table)


def note_written(conn: Any, table: str) -> None:
    """Remember on the connection that its transaction wrote ``table`` (``"*"``: unknown)."""
    conn.info.setdefault(_WRITTEN_KEY, set()).add(table)


def written_tables(info: dict[str, Any]) -> set[str]:
    """The tables noted in a connection's (or direct transaction's) ``info``, forgotten."""
    written: set[str] | None = info.pop(_WRITTEN_KEY, None)
    return written or set()


class TableChanges:
    """Change counters per table, bumped once a connection that wrote to them is released."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}
        self._everything = 0

    def __repr__(self) -> str:
        return f"TableChanges({self._counters!r}, everything={self._everything})"

    def generation(self, tables: Iterable[str]) -> tuple[int, ...]:
        return (self._everything, *(self._counters.get(t, 0) for t in tables))

    def bump(self, tables: Iterable[str]) -> None:
        for table in tables:
            if table == _EVERYTHING:
                self._everything += 1
            else:
                self._counters[table] = self._counters.get(table, 0) + 1

    def attach(self, engine: AsyncEngine) -> None:
        """Watch every statement ``engine`` (and engines sharing its pool) sends."""
        sync_engine = engine.sync_engine

        @event.listens_for(sync_engine, "after_cursor_execute")
        def _executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            note_write(conn, statement)

        @event.listens_for(sync_engine, "handle_error")
        def _failed(context: Any) -> None:
            # a failed statement may still have changed something before the error
            if context.connection is not None and context.statement:
                note_write(context.connection, context.statement)

        @event.listens_for(sync_engine.pool, "checkin")
        def _released(_dbapi: Any, record: Any) -> None:
            if record is None:
                return
            written = record.info.pop(_WRITTEN_KEY, None)
            if written:
                self.bump(written)

        @event.listens_for(sync_engine.pool, "invalidate")
        def _invalidated(_dbapi: Any, record: Any, _exc: Any) -> None:
            if record is not None and record.info.pop(_WRITTEN_KEY, None):
                self.bump([_EVERYTHING])


MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class Stamp:
    generation: tuple[int, ...]
    at: float


class ReadCache(Generic[K, V]):
    """Values read from ``tables``, kept while this process has not changed those tables and
    for at most ``ttl_seconds`` (what another process changes is seen after that at most)."""

    def __init__(
        self,
        changes: TableChanges,
        tables: Iterable[str],
        *,
        ttl_seconds: float,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.changes = changes
        self.tables = tuple(sorted(tables))
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[Stamp, V]] = OrderedDict()

    def __repr__(self) -> str:
        return f"ReadCache({self.tables}, entries={len(self._entries)})"

    def stamp(self) -> Stamp:
        """Take it before reading: a change after this moment makes the value stale."""
        return Stamp(self.changes.generation(self.tables), self._clock())

    def get(self, key: K, stamp: Stamp | None = None) -> V | object:
        """The cached value, or :data:`MISSING` when there is none or it may be stale."""
        found = self._entries.get(key)
        if found is None:
            return MISSING
        kept, value = found
        now = stamp or self.stamp()
        if kept.generation != now.generation or now.at - kept.at > self.ttl_seconds:
            del self._entries[key]
            return MISSING
        self._entries.move_to_end(key)
        return value

    async def read_through(
        self, session: Statements, key: K, read: Callable[[], Awaitable[V]]
    ) -> V:
        """The cached value of ``key``, or ``await read()`` (kept for next time). A session
        that has itself changed one of the tables (not committed yet) always reads: it must see
        its own writes, and nobody else may see them before they are committed."""
        stamp = self.stamp()
        own = self.tables_written(await uncommitted_writes(session))
        if not own:
            found = self.get(key, stamp)
            if found is not MISSING:
                return found  # type: ignore[return-value]
        value = await read()
        if not own:
            self.put(key, value, stamp)
        return value

    def tables_written(self, written: set[str]) -> bool:
        return _EVERYTHING in written or not written.isdisjoint(self.tables)

    def put(self, key: K, value: V, stamp: Stamp) -> None:
        if self.ttl_seconds <= 0 or stamp.generation != self.changes.generation(self.tables):
            return  # changed while it was being read: do not keep it
        self._entries[key] = (stamp, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


async def uncommitted_writes(session: Statements) -> set[str]:
    """The tables ``session``'s open transaction has written (``"*"``: unknown, maybe any);
    ``session`` may also be a direct transaction (:mod:`deskline.store.direct_transaction`)."""
    if not isinstance(session, AsyncSession):
        return set(session.info.get(_WRITTEN_KEY, ()))
    sync_session = session.sync_session
    if not sync_session._is_clean():  # pending objects (new, changed or deleted)
        return {_EVERYTHING}
    if sync_session.get_transaction() is None:
        return set()
    connection = await transaction_connection(session)
    return set(
        connection.sync_connection.info.get(_WRITTEN_KEY, ()) if connection.sync_connection else ()
    )


_CONNECTION_KEY: Final = "deskline_transaction_connection"


async def transaction_connection(session: AsyncSession) -> AsyncConnection:
    """The connection of the session's transaction (begun if it is not). Asking the session
    costs a greenlet switch: the answer is kept in the session for the rest of the
    transaction (hot reads ask before every cached value, direct statements before each)."""
    sync_session = session.sync_session
    transaction = sync_session.get_transaction()
    kept = session.info.get(_CONNECTION_KEY)
    if (
        kept is not None
        and transaction is not None
        and kept[0] is transaction
        and transaction.is_active
        and not kept[1].closed
    ):
        return cast(AsyncConnection, kept[1])
    connection = await session.connection()
    session.info[_CONNECTION_KEY] = (sync_session.get_transaction(), connection)
    return connection
