"""Which process runs a PBX connection's adapter: one at a time, another takes over on death.

Several ``deskline serve`` processes on one PostgreSQL database each start a supervisor; if
two ran the same PBX connection, every event would be ingested twice (deduplicated by its key,
but each process's call tracker would see half a call). So a runner first takes the
connection's **lease**: a PostgreSQL session-level advisory lock
``pg_try_advisory_lock(namespace, connection id)``, held on a connection of its own for as long
as the adapter runs. When the process dies its database session ends and the lock is freed;
the standby processes, which try again every ``lease_poll_seconds``, take over. A runner whose
lock connection breaks (PostgreSQL restarted) stops its adapter and asks for the lease again.

On SQLite (one process) :class:`LocalLeases` grants every lease at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from deskline.store.db import Database

log = logging.getLogger(__name__)

#: the first key of deskline's advisory locks ("desk"), the second is the connection id
LOCK_NAMESPACE = 0x6465736B
_CHECK_SECONDS = 5.0


class PbxLease(Protocol):
    async def alive(self) -> bool:
        """Still held (False: stop the adapter now)."""
        ...

    async def release(self) -> None: ...


class PbxLeases(Protocol):
    shared: bool
    """True when other processes may hold leases (the connection row's status is shared)."""

    async def acquire(self, connection_id: int) -> PbxLease | None:
        """The lease of a connection, or None while another process holds it."""
        ...

    async def aclose(self) -> None: ...


class _Held:
    async def alive(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class LocalLeases:
    """One process: every lease is granted."""

    shared = False

    async def acquire(self, connection_id: int) -> PbxLease | None:
        return _Held()

    async def aclose(self) -> None:
        return None


class _AdvisoryLease:
    def __init__(self, connection: AsyncConnection, connection_id: int) -> None:
        self._connection = connection
        self._id = connection_id
        self._lost = False

    async def alive(self) -> bool:
        if self._lost:
            return False
        query = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = pg_backend_pid() AND classid = :namespace AND objid = :id"
        )
        try:
            async with asyncio.timeout(_CHECK_SECONDS):
                held = await self._connection.scalar(
                    query, {"namespace": LOCK_NAMESPACE, "id": self._id}
                )
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("PBX connection %s: lost the lease (%s)", self._id, type(exc).__name__)
            held = 0
        if not held:
            self._lost = True
            await self.release()
        return bool(held)

    async def release(self) -> None:
        # closing the session frees the lock (no unlock call: the connection may be broken)
        with contextlib.suppress(Exception):
            await self._connection.invalidate()
        with contextlib.suppress(Exception):
            await self._connection.close()


class PostgresLeases:
    """Leases as PostgreSQL advisory locks, each on a database session of its own."""

    shared = True

    def __init__(self, db: Database) -> None:
        self._engine: AsyncEngine = create_async_engine(
            db.url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )

    async def acquire(self, connection_id: int) -> PbxLease | None:
        connection = await self._engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:namespace, :id)"),
                {"namespace": LOCK_NAMESPACE, "id": connection_id},
            )
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return None
        return _AdvisoryLease(connection, connection_id)

    async def aclose(self) -> None:
        await self._engine.dispose()


def leases_for(db: Database) -> PbxLeases:
    """PostgreSQL: advisory-lock leases; SQLite: every lease granted (one process)."""
    return PostgresLeases(db) if db.dialect == "postgresql" else LocalLeases()
