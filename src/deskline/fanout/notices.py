"""PostgreSQL notifications that wake the database pop relay's reader at once.

A worker that stores a relayed pop also sends ``NOTIFY`` on :data:`CHANNEL` in the same
transaction (PostgreSQL delivers it when the transaction commits). Every subscribing ``serve``
keeps one connection that ``LISTEN``\\ s on the channel, and reads the table as soon as a
notice arrives instead of at its next poll. The poll stays: it is how pops are read on SQLite,
while the listening connection is being (re)made, and if a notice is ever missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.db import Database

log = logging.getLogger(__name__)

CHANNEL = "deskline_relayed_pops"
_NOTIFY = text("SELECT pg_notify(:channel, '')")


async def notify_relayed_pop(session: AsyncSession) -> None:
    """Tell the listening ``serve`` processes, when ``session``'s transaction commits, that a
    relayed pop was stored (PostgreSQL; nothing on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_NOTIFY, {"channel": CHANNEL})


class RelayNotices:
    """Sets ``wake`` whenever a relayed pop was stored, for as long as :meth:`run` runs.

    Holds one pooled connection of ``db`` that listens on :data:`CHANNEL`; when it breaks, a
    new one is made after ``retry_seconds`` (the relay polls meanwhile)."""

    def __init__(self, db: Database, wake: asyncio.Event, *, retry_seconds: float = 5.0) -> None:
        self.db = db
        self.wake = wake
        self.retry_seconds = retry_seconds
        self.listening = asyncio.Event()
        """Set while a connection listens (tests and status)."""

    def __repr__(self) -> str:
        return f"RelayNotices({CHANNEL!r}, {'listening' if self.listening.is_set() else 'not'})"

    async def run(self) -> None:
        """Listen until cancelled."""
        failing = False
        while True:
            try:
                await self._listen_once()
                failing = False  # the connection ended (closed by the server): listen again
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not failing:
                    log.warning(
                        "pop relay (database): cannot listen for relayed pops (%s); reading "
                        "them at each poll until it can",
                        exc,
                    )
                failing = True
            self.wake.set()  # what was stored while nobody listened is read now
            await asyncio.sleep(self.retry_seconds)

    async def _listen_once(self) -> None:
        ended = asyncio.Event()
        async with self.db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            driver.add_termination_listener(lambda *_: ended.set())
            await driver.add_listener(CHANNEL, self._notified)
            self.listening.set()
            try:
                self.wake.set()  # stored before the listening began
                await ended.wait()
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    if not driver.is_closed():
                        await driver.remove_listener(CHANNEL, self._notified)

    def _notified(self, *_: object) -> None:
        self.wake.set()
