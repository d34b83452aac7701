"""Transactions without SQLAlchemy's Session, Connection or pool, for direct statements.

A job's hot transactions — claiming jobs, reading what a job starts from, recording its
attempt — run only :class:`~deskline.store.direct.DirectStatement` s, whose statements take
microseconds on the inline SQLite driver. Opening and closing the transaction around them took
SQLAlchemy about 200 microseconds more: a Session and its transaction object, a Connection,
the pool's checkout and return with their events, the greenlets of the async API, and a
second rollback when the connection went back (bench/bench_sessions.py).

On the inline driver (:mod:`deskline.store.sqlite_inline`, SQLite's default here)
:meth:`Database.direct_read <deskline.store.db.Database.direct_read>` and
:meth:`~deskline.store.db.Database.direct_transaction` give a :class:`DirectTransaction`: a
``sqlite3`` connection of their own small pool (set up as the engine's are), ``BEGIN`` /
``BEGIN IMMEDIATE`` and ``COMMIT`` / ``ROLLBACK`` straight on it. What the session did
besides, it still does:

- write transactions take this process's writer turn (urgent first) and wait for another
  process's writer without blocking the loop, as the engine's do;
- the tables it wrote are noted, and bumped for the read caches when it ends
  (:mod:`deskline.store.changes`), committed or not;
- errors of the database become :class:`~deskline.errors.StorageError`, as a session's do;
- commits wake the WAL checkpointer.

Everywhere else (PostgreSQL, SQLite on threads) the same methods give an ordinary session, so
code written against :data:`Statements` runs unchanged on both.

What needs the ORM inside a direct read (a cache's miss, say) asks :func:`orm_session`: a read
session opened beside it on first use (its own snapshot: what it reads — configuration, not the
call — is what a cache would have served anyway). A direct *write* transaction has no such
escape: a second writer would wait for this one; code that writes with the ORM opens
``Database.transaction`` instead (the worker chooses by :class:`~deskline.outbox.handlers.
DirectWrite`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.errors import StorageError
from deskline.store.changes import TableChanges, written_tables
from deskline.store.sqlite_inline import InlineConnection


class DirectTransaction:
    """One transaction on an inline SQLite connection (see the module). ``info`` holds what
    it wrote, as a SQLAlchemy connection's does."""

    __slots__ = ("_open_session", "_session", "dialect", "info", "inline", "write")

    def __init__(
        self,
        inline: InlineConnection,
        dialect: Dialect,
        *,
        write: bool,
        open_session: Callable[[], Awaitable[AsyncSession]] | None = None,
    ) -> None:
        self.inline = inline
        self.dialect = dialect
        self.write = write
        self.info: dict[str, Any] = {}
        self._open_session = open_session
        self._session: AsyncSession | None = None

    def __repr__(self) -> str:
        return f"DirectTransaction({'write' if self.write else 'read'})"

    async def orm_session(self) -> AsyncSession:
        """A read session beside this read transaction, for what needs the ORM (see the
        module); opened on first use, closed with the transaction."""
        if self._session is None:
            if self.write or self._open_session is None:
                raise TypeError(
                    "a direct write transaction runs direct statements only: "
                    "use Database.transaction for ORM writes"
                )
            self._session = await self._open_session()
        return self._session


Statements: TypeAlias = AsyncSession | DirectTransaction
"""Where direct statements run: a session, or a direct transaction (see the module)."""


async def orm_session(on: Statements) -> AsyncSession:
    """``on`` itself when it is a session, else the read session beside a direct read."""
    if isinstance(on, AsyncSession):
        return on
    return await on.orm_session()


def dialect_name(on: Statements) -> str:
    """``"sqlite"`` or ``"postgresql"``: the database ``on`` runs on."""
    if isinstance(on, DirectTransaction):
        return on.dialect.name
    return on.get_bind().dialect.name


class DirectConnections:
    """The inline connections direct transactions run on: made as needed, kept for reuse
    (as many as ever ran at once), closed with :meth:`close`."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[InlineConnection]],
        pragmas: list[str],
        dialect: Dialect,
        changes: TableChanges,
    ) -> None:
        self._connect = connect
        self._pragmas = pragmas
        self.dialect = dialect
        self._changes = changes
        self._free: list[InlineConnection] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"DirectConnections(free={len(self._free)})"

    async def begin(
        self,
        *,
        write: bool,
        open_session: Callable[[], Awaitable[AsyncSession]] | None = None,
    ) -> DirectTransaction:
        """A transaction begun on a free connection (``BEGIN IMMEDIATE`` for ``write``:
        another process's writer is waited for without blocking the loop)."""
        if self._closed:
            raise RuntimeError("the database is disposed")
        inline = self._free.pop() if self._free else await self._new()
        try:
            await inline.begin("IMMEDIATE" if write else "DEFERRED")
        except BaseException as error:
            self._give_back(inline)
            if isinstance(error, sqlite3.Error):
                raise _storage_error("BEGIN", error) from error
            raise
        return DirectTransaction(inline, self.dialect, write=write, open_session=open_session)

    def end(self, transaction: DirectTransaction, *, commit: bool) -> None:
        """Commit (``commit``) or roll back; the connection goes back for reuse either way,
        and the tables written are bumped for the read caches."""
        inline = transaction.inline
        try:
            if commit:
                inline.commit_now()
            else:
                inline.rollback_now()
        except sqlite3.Error as error:
            self._discard(inline)
            raise _storage_error("COMMIT" if commit else "ROLLBACK", error) from error
        finally:
            written = written_tables(transaction.info)
            if written:
                self._changes.bump(written)
        self._give_back(inline)

    def _give_back(self, inline: InlineConnection) -> None:
        if self._closed or inline._connection is None:
            self._discard(inline)
            return
        if inline._conn.in_transaction:  # a BEGIN that failed half-way, say
            try:
                inline._conn.rollback()
            except sqlite3.Error:
                self._discard(inline)
                return
        self._free.append(inline)

    @staticmethod
    def _discard(inline: InlineConnection) -> None:
        with contextlib.suppress(sqlite3.Error):
            inline.stop()

    async def _new(self) -> InlineConnection:
        inline = await self._connect()
        connection = inline._conn
        connection.isolation_level = None  # BEGIN is ours, as on the engine's connections
        for pragma in self._pragmas:
            connection.execute(pragma)
        return inline

    def close(self) -> None:
        self._closed = True
        free, self._free = self._free, []
        for inline in free:
            self._discard(inline)


def _storage_error(statement: str, error: sqlite3.Error) -> StorageError:
    wrapped = DBAPIError.instance(statement, None, error, sqlite3.Error)
    return StorageError(f"database transaction failed: {wrapped}")
