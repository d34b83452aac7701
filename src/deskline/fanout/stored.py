"""Screen pops across processes through the database, for installations without Redis.

A ``deskline worker`` decides pops (a lookup job found the caller in the helpdesk) but no agent
connects to it. Without Redis it stores each pop in ``relayed_pops``; every ``serve`` reads
what is new there (on PostgreSQL at once, see below; else every ``poll_seconds``) and hands it
to its :class:`~deskline.pipeline.screen_pop.PopHub`. The rule is the Redis relay's: a process
delivers a relayed pop only when the agent has a connection open on it *and* it wins the pop's
claim, here the first ``INSERT`` of the claim into ``pop_claims`` (its primary key). So one
pop per call per agent holds across tabs and processes.

Being stored, a relayed pop is not lost while no ``serve`` listens: a ``serve`` that starts
reads back :attr:`StoredPopRelay.catch_up_seconds` (``DESKLINE_POP_HOLD_SECONDS``), and its
hub holds what no connection can take yet, as it does for any pop.

A ``serve``'s own pops (ring-time, from the local index) do not go through the table: they are
delivered in-process at once, as with one process, and claimed in memory; a relayed pop of a
call the hub already popped for that agent is not sent again.

On PostgreSQL the worker also sends a notice with each stored pop, and a ``serve`` reads the
table as soon as one arrives (:mod:`deskline.store.notices`); the poll remains for SQLite and
for the moments the listening connection is being made.

Each read takes the rows after the last id seen, and those created within
``lookback_seconds`` (on PostgreSQL ids may commit out of order), skipping ids already
delivered. Rows are pruned after ``keep_seconds``, claims after ``claim_keep_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError

from deskline.errors import StorageError
from deskline.fanout.availability import Availability
from deskline.fanout.relay import process_name
from deskline.pipeline.screen_pop import PopHub
from deskline.store.db import Database
from deskline.store.models import PopClaim, RelayedPop
from deskline.store.notices import ChannelListener, listens, notify
from deskline.store.repositories._dialect import insert_ignoring_conflicts
from deskline.store.types import utcnow

log = logging.getLogger(__name__)

RELAYED = cast(Table, RelayedPop.__table__)
CLAIMS = cast(Table, PopClaim.__table__)
_UNAVAILABLE = (StorageError, SQLAlchemyError, OSError)
_REMEMBERED_CLAIMS = 20_000
CHANNEL = "deskline_relayed_pops"
"""Notified with each stored pop (PostgreSQL): the serves read the table at once."""


@dataclass(frozen=True)
class StoredRelayOptions:
    """Timings of the database relay (tests use short ones)."""

    poll_seconds: float = 0.25
    lookback_seconds: float = 5.0
    keep_seconds: float = 600.0
    claim_keep_seconds: float = 6 * 3600.0
    prune_every_seconds: float = 60.0
    batch: int = 2000
    notice_retry_seconds: float = 5.0
    """PostgreSQL: how soon a broken listening connection is made again."""


class StoredPopRelay:
    """A :class:`~deskline.pipeline.screen_pop.PopRelay` over two database tables.

    ::

        relay = StoredPopRelay(db, subscribe=False)   # in a worker: stores its pops
        relay = StoredPopRelay(db)                    # in serve: delivers the stored ones
        await relay.start(hub)
        ...
        await relay.aclose()
    """

    def __init__(
        self,
        db: Database,
        options: StoredRelayOptions | None = None,
        *,
        subscribe: bool = True,
        catch_up_seconds: float = 60.0,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.options = options or StoredRelayOptions()
        self.subscribe = subscribe
        self.catch_up_seconds = catch_up_seconds
        self.name = (name or process_name())[:120]
        self._availability = Availability(
            log,
            "pop relay (database): the database is unavailable (%s); relayed screen pops "
            "wait until it returns",
            "pop relay (database): the database is back; relayed pops flow again",
        )
        self._hub: PopHub | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self._wake = asyncio.Event()
        self.notices: ChannelListener | None = None
        """On PostgreSQL, in a subscribing relay: the notices that wake the reader."""
        self._notices_task: asyncio.Task[None] | None = None
        self._relayed: OrderedDict[str, None] = OrderedDict()
        self._seen: dict[int, datetime] = {}
        self._last_id: int | None = None
        self._pruned_at: datetime | None = None
        self.delivered = 0
        """Relayed pops this process's hub has dealt with (sent, held, or left to another
        process; not all of them reach a connection here)."""

    def __repr__(self) -> str:
        role = "delivers" if self.subscribe else "stores"
        return f"StoredPopRelay({role}, {'available' if self.available else 'unavailable'})"

    @property
    def ready(self) -> bool:
        return self.available

    async def start(self, hub: PopHub) -> None:
        """Deliver the pops other processes stored to ``hub`` (when subscribing)."""
        self._hub = hub
        if self.subscribe and self._task is None:
            self._closing.clear()
            self._task = asyncio.create_task(self._listen(), name="pop-relay-database")
            if listens(self.db):
                self.notices = ChannelListener(
                    self.db,
                    CHANNEL,
                    self._wake.set,
                    retry_seconds=self.options.notice_retry_seconds,
                )
                self._notices_task = asyncio.create_task(
                    self.notices.run(), name="pop-relay-notices"
                )

    async def aclose(self) -> None:
        self._closing.set()
        self._wake.set()
        for task in (self._notices_task, self._task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._task = self._notices_task = None

    # --- PopRelay ----------------------------------------------------------------------------

    async def publish(self, claim: str, message: dict[str, Any]) -> bool:
        """A worker stores the pop for the serving processes; a ``serve`` keeps its own
        (False: deliver in-process)."""
        if self.subscribe:
            return False
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    insert(RELAYED).values(claim=claim, message=message, origin=self.name)
                )
                await notify(session, CHANNEL)
        except _UNAVAILABLE as exc:
            self._lost(exc)
            return False
        self._back()
        with contextlib.suppress(*_UNAVAILABLE):  # pruned here too: a serve that runs its own
            await self._prune()  # worker (and separate ones) never reads the table
        return True

    def relayed(self, claim: str) -> bool:
        """``claim`` belongs to a pop read from the table (recently)."""
        return claim in self._relayed

    async def claim(self, claim: str) -> bool:
        """A relayed pop goes to the process that inserts its claim first; a pop of this
        process's own is claimed in memory (True)."""
        if claim not in self._relayed:
            return True
        try:
            async with self.db.transaction() as session:
                statement = insert_ignoring_conflicts(session, PopClaim, ["claim"]).returning(
                    CLAIMS.c.claim
                )
                won = (
                    await session.execute(statement, [{"claim": claim, "owner": self.name}])
                ).first()
        except _UNAVAILABLE as exc:
            self._lost(exc)
            return True  # nobody can coordinate now: deliver rather than lose the pop
        return won is not None

    # --- the reader --------------------------------------------------------------------------

    async def _listen(self) -> None:
        since = utcnow() - timedelta(seconds=self.catch_up_seconds)
        while not self._closing.is_set():
            self._wake.clear()  # a notice from now on means: read again
            try:
                await self.read_once(since)
                since = utcnow() - timedelta(seconds=self.options.lookback_seconds)
                await self._prune()
            except _UNAVAILABLE as exc:
                self._lost(exc)
            except Exception:  # one bad read must not stop the relay
                log.exception("pop relay (database): reading relayed pops failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.options.poll_seconds)

    async def read_once(self, since: datetime) -> int:
        """Deliver the relayed pops after the last id seen or created since ``since``;
        returns how many were new."""
        async with self.db.read() as session:
            if self._last_id is None:  # start after what is older than the catch-up
                self._last_id = (
                    await session.execute(
                        select(func.coalesce(func.max(RELAYED.c.id), 0)).where(
                            RELAYED.c.created_at < since
                        )
                    )
                ).scalar_one()
            rows = (
                await session.execute(
                    select(RELAYED.c.id, RELAYED.c.claim, RELAYED.c.message, RELAYED.c.created_at)
                    .where(or_(RELAYED.c.id > self._last_id, RELAYED.c.created_at >= since))
                    .order_by(RELAYED.c.id)
                    .limit(self.options.batch)
                )
            ).all()
        self._back()
        new, last = 0, self._last_id
        for pop_id, claim, message, created_at in rows:
            last = self._last_id = max(last, pop_id)
            if pop_id in self._seen:
                continue
            self._seen[pop_id] = created_at
            new += 1
            await self._deliver(claim, message)
        self._forget_seen(since)
        return new

    async def _deliver(self, claim: object, message: object) -> None:
        if not isinstance(claim, str) or not isinstance(message, dict) or self._hub is None:
            log.warning("pop relay (database): ignoring a malformed relayed pop")
            return
        self._relayed[claim] = None
        self._relayed.move_to_end(claim)
        while len(self._relayed) > _REMEMBERED_CLAIMS:
            self._relayed.popitem(last=False)
        call_key, extension = str(message.get("call_id", "")), str(message.get("extension", ""))
        try:
            if claim.startswith("pop:") and self._hub.was_popped(call_key, extension):
                return  # this process popped the call for the agent itself (its own pops)
            await self._hub.deliver(claim, message)
        except Exception:  # one bad delivery must not stop the relay
            log.exception("pop relay (database): delivering %s failed", claim)
        finally:
            self.delivered += 1

    def _forget_seen(self, since: datetime) -> None:
        """Ids older than the look-back and below the last id are not read again."""
        last = self._last_id or 0
        for pop_id in [i for i, at in self._seen.items() if at < since and i <= last]:
            del self._seen[pop_id]

    async def _prune(self) -> None:
        now = utcnow()
        if self._pruned_at is not None and (now - self._pruned_at).total_seconds() < (
            self.options.prune_every_seconds
        ):
            return
        self._pruned_at = now
        async with self.db.transaction() as session:
            await session.execute(
                delete(RELAYED).where(
                    RELAYED.c.created_at < now - timedelta(seconds=self.options.keep_seconds)
                )
            )
            await session.execute(
                delete(CLAIMS).where(
                    CLAIMS.c.created_at < now - timedelta(seconds=self.options.claim_keep_seconds)
                )
            )

    # --- availability ------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """False while the database cannot be read or written (relayed pops wait)."""
        return self._availability.available

    def _lost(self, exc: BaseException) -> None:
        self._availability.lost(exc)

    def _back(self) -> None:
        self._availability.back()
