"""PostgreSQL notifications: another process learns at once that there is something to read.

A writer calls :func:`notify` in its transaction (PostgreSQL delivers the notice when the
transaction commits, and not at all when it rolls back); a reader keeps a
:class:`ChannelListener`, one pooled connection that ``LISTEN``\\ s on the channel and calls
back on every notice. Readers still poll: that is how they read on SQLite, while the listening
connection is being (re)made, and if a notice is ever missed. The channels:

- ``deskline_relayed_pops``: a worker stored a screen pop for the ``serve`` processes
  (:mod:`deskline.fanout.stored`);
- ``deskline_jobs``: a job was added that is due now (:mod:`deskline.outbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.db import Database

log = logging.getLogger(__name__)

_NOTIFY = text("SELECT pg_notify(:channel, '')")
_NOTIFIED = "deskline_notified_channels"


async def notify(session: AsyncSession, channel: str) -> None:
    """Notify ``channel``'s listeners when ``session``'s transaction commits (PostgreSQL;
    nothing on SQLite). Once per transaction and channel."""
    if session.get_bind().dialect.name != "postgresql":
        return
    notified: dict[str, object] = session.info.setdefault(_NOTIFIED, {})
    transaction = session.get_transaction()
    if transaction is not None and notified.get(channel) is transaction:
        return
    await session.execute(_NOTIFY, {"channel": channel})
    notified[channel] = session.get_transaction()


class ChannelListener:
    """Calls ``on_notice()`` for every notice on ``channel``, for as long as :meth:`run` runs
    (and once each time it starts listening: what was written meanwhile is to be read).

    Holds one pooled connection of ``db``; when it breaks, a new one is made after
    ``retry_seconds``."""

    def __init__(
        self,
        db: Database,
        channel: str,
        on_notice: Callable[[], None],
        *,
        retry_seconds: float = 5.0,
    ) -> None:
        self.db = db
        self.channel = channel
        self.on_notice = on_notice
        self.retry_seconds = retry_seconds
        self.listening = asyncio.Event()
        """Set while a connection listens (tests and status)."""

    def __repr__(self) -> str:
        state = "listening" if self.listening.is_set() else "not listening"
        return f"ChannelListener({self.channel!r}, {state})"

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
                    log.warning("cannot listen on %s (%s); polling until it can", self.channel, exc)
                failing = True
            self.on_notice()  # what was written while nobody listened is read now
            await asyncio.sleep(self.retry_seconds)

    async def _listen_once(self) -> None:
        ended = asyncio.Event()
        async with self.db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            driver.add_termination_listener(lambda *_: ended.set())
            await driver.add_listener(self.channel, self._notified)
            self.listening.set()
            try:
                self.on_notice()  # written before the listening began
                await ended.wait()
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    if not driver.is_closed():
                        await driver.remove_listener(self.channel, self._notified)

    def _notified(self, *_: object) -> None:
        self.on_notice()


def listens(db: Database) -> bool:
    """Whether ``db`` has notifications (PostgreSQL)."""
    return db.dialect == "postgresql"
