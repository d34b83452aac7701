"""The database: an async engine and sessions, for SQLite (aiosqlite) or PostgreSQL (asyncpg).

Two ways to open a session:

- :meth:`Database.transaction` for work that writes: commits on success, rolls back on error.
  On SQLite, which has one writer, write transactions are serialised in-process by a lock and
  start with ``BEGIN IMMEDIATE`` (other processes wait up to ``busy_timeout``), so a
  transaction never fails half-way because another writer got there first.
- :meth:`Database.read` for reads: a plain (deferred) transaction, rolled back at the end.

For code that runs only direct statements (:mod:`deskline.store.direct`),
:meth:`Database.direct_read` and :meth:`Database.direct_transaction` give the same
transactions without SQLAlchemy's Session, Connection and pool on the inline SQLite driver,
at about a tenth of their cost (:mod:`deskline.store.direct_transaction`), and ordinary
sessions elsewhere.

SQLite runs in WAL mode with foreign keys on, so readers never block the writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import (
    AbstractAsyncContextManager,
    AsyncExitStack,
    asynccontextmanager,
    nullcontext,
)
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from deskline.errors import ConfigurationError, StorageError
from deskline.settings import Settings
from deskline.store.changes import K, ReadCache, TableChanges, V
from deskline.store.direct_transaction import DirectConnections, Statements
from deskline.store.sqlite_inline import (
    Checkpointer,
    InlineAdaptedConnection,
    inline_creator,
    inline_dbapi,
    unsliced,
)
from deskline.store.writer_lock import WriterLock

_BEGIN_OPTION = "deskline_sqlite_begin"


class Database:
    """One database, reached through an async engine; made from an SQLAlchemy async URL."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 15_000,
        pool_size: int = 5,
        echo: bool = False,
        read_cache_seconds: float = 1.0,
        sqlite_threads: bool = False,
        sqlite_time_slice_ms: float = 2.0,
    ) -> None:
        parsed = make_url(url)
        self.url = url
        self._dialect = parsed.get_backend_name()
        if self._dialect not in ("sqlite", "postgresql"):
            raise ConfigurationError(
                f"unsupported database {self._dialect!r}: "
                "use sqlite+aiosqlite or postgresql+asyncpg"
            )
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": self._dialect == "postgresql"}
        self._checkpointer: Checkpointer | None = None
        direct_connect = None
        if self._dialect == "sqlite":
            file = parsed.database if parsed.database and parsed.database != ":memory:" else None
            if file:
                Path(file).parent.mkdir(parents=True, exist_ok=True)
            if file and not sqlite_threads:
                self._checkpointer = Checkpointer(file)
                kwargs["async_creator"] = direct_connect = inline_creator(
                    file,
                    timeout=busy_timeout_ms / 1000,
                    on_commit=self._checkpointer.committed,
                    time_slice_seconds=sqlite_time_slice_ms / 1000,
                )
                kwargs["module"] = inline_dbapi()
            else:
                kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000}
        else:
            kwargs["pool_size"] = pool_size
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self.changes = TableChanges()
        """What this process wrote: lets hot reads be cached (:mod:`deskline.store.changes`)."""
        self.changes.attach(self.engine)
        self.read_cache_seconds = read_cache_seconds
        self._write_lock = WriterLock()
        if self._dialect == "sqlite":
            _configure_sqlite(self.engine, busy_timeout_ms)
            self._write_engine = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        else:
            self._write_engine = self.engine
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self._write_engine, expire_on_commit=False)
        self._direct = (
            DirectConnections(
                direct_connect,
                sqlite_pragmas(busy_timeout_ms),
                self.engine.dialect,
                self.changes,
            )
            if direct_connect is not None
            else None
        )
        """The connections of direct transactions (:mod:`deskline.store.direct_transaction`);
        None: not the inline SQLite driver, sessions serve instead."""

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> Database:
        kwargs.setdefault("read_cache_seconds", settings.read_cache_seconds)
        kwargs.setdefault("sqlite_threads", settings.sqlite_threads)
        kwargs.setdefault("sqlite_time_slice_ms", settings.sqlite_time_slice_ms)
        return cls(settings.effective_database_url, **kwargs)

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    def read_cache(self, tables: set[str], *, max_entries: int = 1024) -> ReadCache[K, V]:
        """A cache of values read from ``tables`` (see :mod:`deskline.store.changes`)."""
        return ReadCache(
            self.changes, tables, ttl_seconds=self.read_cache_seconds, max_entries=max_entries
        )

    @property
    def _inline(self) -> bool:
        """SQLite statements on the loop (:mod:`deskline.store.sqlite_inline`): the inline
        driver comes with its checkpointer."""
        return self._checkpointer is not None

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._dialect

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction, committed when the block ends without error.

        ``urgent``: on SQLite, go before this process's other waiting writers (ring events)."""
        async with self._writer_turn(urgent), self._write_session() as session:
            yield session

    @asynccontextmanager
    async def write_connection(self) -> AsyncIterator[AsyncConnection]:
        """A bare connection in a write transaction (migrations, bulk statements)."""
        async with self._writer_turn(), self._write_engine.begin() as connection:
            yield connection

    def _writer_turn(self, urgent: bool = False) -> AbstractAsyncContextManager[Any]:
        """SQLite has one writer: this process's write transactions take turns."""
        return self._write_lock.turn(urgent=urgent) if self._dialect == "sqlite" else nullcontext()

    @asynccontextmanager
    async def read(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for reading; anything written in it is rolled back when it closes.

        Objects loaded in it stay readable afterwards (closing does not expire them).
        ``urgent``: on SQLite, its statements never give the loop's turn away to other tasks
        (ring-time pops; see :mod:`deskline.store.sqlite_inline`)."""
        with unsliced() if urgent else nullcontext():
            async with self._opened(self.sessions) as session:
                yield session

    @asynccontextmanager
    async def direct_read(self, *, urgent: bool = False) -> AsyncIterator[Statements]:
        """A read for direct statements (:mod:`deskline.store.direct_transaction`): a direct
        transaction on the inline SQLite driver, else a session as :meth:`read` gives."""
        with unsliced() if urgent else nullcontext():
            if self._direct is None:
                async with self._opened(self.sessions) as session:
                    yield session
                return
            async with AsyncExitStack() as beside:

                async def open_session() -> AsyncSession:
                    return await beside.enter_async_context(self._opened(self.sessions))

                transaction = await self._direct.begin(write=False, open_session=open_session)
                try:
                    yield transaction
                finally:
                    self._direct.end(transaction, commit=False)

    @asynccontextmanager
    async def direct_transaction(self, *, urgent: bool = False) -> AsyncIterator[Statements]:
        """A write transaction for direct statements only: a direct transaction on the inline
        SQLite driver, else a session as :meth:`transaction` gives; committed when the block
        ends without error."""
        async with self._writer_turn(urgent):
            if self._direct is None:
                async with self._write_session() as session:
                    yield session
                return
            transaction = await self._direct.begin(write=True)
            try:
                yield transaction
            except BaseException as error:
                self._direct.end(transaction, commit=False)
                if isinstance(error, SQLAlchemyError):
                    raise StorageError(f"database transaction failed: {error}") from error
                raise
            self._direct.end(transaction, commit=True)

    @asynccontextmanager
    async def _opened(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        """A new session, closed when the block ends. SQLAlchemy closes a session in a task of
        its own, shielded, so that a cancellation cannot cut the close short (a connection
        that never went back to the pool); on the inline SQLite driver closing never waits —
        rollback and the pool's return run straight on the driver — so there is nothing to
        shield, and the task per session was about 8 % of a read session's cost."""
        if not self._inline:
            async with sessions() as session:
                yield session
            return
        session = sessions()
        try:
            yield session
        finally:
            await session.close()

    @asynccontextmanager
    async def _write_session(self) -> AsyncIterator[AsyncSession]:
        async with self._opened(self._write_sessions) as session:
            try:
                async with session.begin():
                    yield session
            except SQLAlchemyError as exc:
                raise StorageError(f"database transaction failed: {exc}") from exc

    async def dispose(self) -> None:
        if self._direct is not None:
            self._direct.close()
        await self.engine.dispose()
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)

    async def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision``."""
        from deskline.store.migrate import upgrade

        await upgrade(self, revision)


def sqlite_pragmas(busy_timeout_ms: int) -> list[str]:
    """What every SQLite connection runs first: WAL, foreign keys, a busy timeout."""
    return [
        f"PRAGMA busy_timeout = {int(busy_timeout_ms)}",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
    ]


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and SQLAlchemy (not the driver) issuing BEGIN."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver must not open transactions itself
        cursor = dbapi_connection.cursor()
        try:
            for pragma in sqlite_pragmas(busy_timeout_ms):
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        driver: Any = connection.connection.dbapi_connection
        if isinstance(driver, InlineAdaptedConnection):
            driver.begin(mode)  # every transaction: the short way (sqlite_inline)
        else:
            connection.exec_driver_sql(f"BEGIN {mode}")
