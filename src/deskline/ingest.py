"""Event ingestion: the :data:`~deskline.pbx.base.EventSink` every PBX adapter writes to.

An :class:`EventIngestor` takes a batch of call events and, in ONE database transaction:

1. stores the events, skipping those already stored (same source and key: a redelivery);
2. applies only the new ones to the :class:`~deskline.calls.tracker.CallTracker`;
3. upserts the calls they changed;
4. calls the listener (the integration pipeline) with each update, so the jobs it enqueues
   commit together with the events and calls that caused them; after the commit, a
   listener's optional ``after_commit()`` runs (ring-time screen pops), after a rollback its
   optional ``discard()``.

**Before** storing, a listener with an ``early(updates)`` step is shown what the batch would do
(:meth:`~deskline.calls.tracker.CallTracker.preview`, the tracker unchanged) when every event of
the batch happened within :data:`EARLY_WINDOW_SECONDS`: ring-time screen pops go out from
there without waiting for the write transaction (and for the batches stored before it). The
early step may only do what is harmless if the batch is then not stored: a pop is sent at most
once per call and agent, and a redelivery is stored as usual.

It returns only after the commit: an adapter may acknowledge the events to the PBX once the
call returns ("stored before acknowledged", F25). If anything fails, nothing is stored and the
tracker is rolled back to where it was, so a redelivery of the same batch is processed afresh.

A call the tracker does not know (after a restart, or ended and evicted from memory) is loaded
from the database before its events are applied, so a late event never overwrites a stored call
with a fresh, empty one.

Committed new events are counted in ``deskline_pbx_events_total{source,kind}``; the listener
runs with the call's id bound for logging (:func:`~deskline.observability.bind_call_id`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.calls.events import CallEvent
from deskline.calls.folding import aware
from deskline.calls.tracker import CallTracker, TrackerUpdate
from deskline.errors import StorageError
from deskline.observability.context import bind_call_id
from deskline.observability.metrics import PBX_EVENTS
from deskline.store.db import Database
from deskline.store.repositories import calls as call_rows
from deskline.store.repositories import events as event_rows
from deskline.store.types import utcnow

log = logging.getLogger(__name__)

CallListener = Callable[[AsyncSession, TrackerUpdate], Awaitable[None]]
"""``async def on_call(session, update)``: reacts to a call change inside its transaction."""

MAX_SAVE_TRIES = 5
EARLY_WINDOW_SECONDS = 60.0
"""Only batches of events this recent are previewed for the listener's early step: a live
stream, not a replay or a redelivery of old events (whose call may be stored and over)."""


class EventIngestor:
    """Stores the events of one source (a PBX connection) and keeps its calls up to date."""

    def __init__(
        self,
        db: Database,
        tracker: CallTracker,
        source: str,
        listener: CallListener | None = None,
    ) -> None:
        self.db = db
        self.tracker = tracker
        self.source = source
        self.listener = listener
        self._turn = asyncio.Lock()  # one batch at a time: the tracker is shared state
        self._queue: list[_Pending] = []
        self._unsaved: dict[str, tuple[TrackerUpdate, int]] = {}

    def __repr__(self) -> str:
        return f"EventIngestor(source={self.source!r})"

    async def __call__(self, events: Sequence[CallEvent]) -> None:
        """Store a batch and apply what is new; returns once it is committed.

        Group commit: batches that arrive while another is being stored wait for their turn
        and are then stored together, in one transaction (under load, many small webhook
        requests cost one commit instead of one each). If a group fails, its batches are
        stored again one by one, so one bad batch fails only its own sender.
        """
        if not events:
            return
        pending = _Pending(list(events), asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        await self._early(pending.events)
        async with self._turn:
            if not pending.done.done():
                group, self._queue = self._queue, []
                await self._store_group(group)
        await pending.done

    async def _early(self, events: Sequence[CallEvent]) -> None:
        """Show the listener's early step what these events would do (best effort)."""
        early = getattr(self.listener, "early", None)
        if early is None:
            return
        now = utcnow()
        if any(
            abs((now - aware(event.at)).total_seconds()) > EARLY_WINDOW_SECONDS for event in events
        ):
            return
        try:
            updates = [update for update in self.tracker.preview(events) if update.changed]
            if updates:
                await early(updates)
        except Exception:  # pops are best effort: the stored path decides them again
            log.exception("%s: the call listener's early step failed", self)

    async def _store_group(self, group: list[_Pending]) -> None:
        try:
            if len(group) > 1:
                try:
                    await self._commit([event for item in group for event in item.events])
                except Exception:
                    log.warning(
                        "%s: a group of %d batches failed; storing them one by one",
                        self,
                        len(group),
                    )
                else:
                    for item in group:
                        item.done.set_result(None)
                    return
            for item in group:
                try:
                    await self._commit(item.events)
                except Exception as exc:
                    item.done.set_exception(exc)
                else:
                    item.done.set_result(None)
        finally:
            for item in group:  # cancelled half-way: the senders must try again
                if not item.done.done():
                    item.done.set_exception(StorageError("storing the events was interrupted"))

    async def _commit(self, events: Sequence[CallEvent]) -> None:
        checkpoint: dict[str, object] | None = None
        try:
            async with self.db.transaction(urgent=True) as session:
                new = await event_rows.insert_new_events(session, self.source, events)
                if not new:
                    return
                call_ids = list(dict.fromkeys(event.call_id for event in new))
                await self._load_unknown_calls(session, call_ids)
                checkpoint = self.tracker.checkpoint(call_ids)
                updates = [update for event in new if (update := self._apply(event))]
                await self._save(session, [update for update in updates if update.changed])
        except BaseException:
            if checkpoint is not None:
                self.tracker.rollback(checkpoint)
            _discard(self.listener)
            raise
        self._count(new)
        await _after_commit(self.listener)

    def _count(self, events: Sequence[CallEvent]) -> None:
        for event in events:
            PBX_EVENTS.labels(self.source, event.kind).inc()

    def _apply(self, event: CallEvent) -> TrackerUpdate | None:
        try:
            return self.tracker.apply(event)
        except Exception:  # a tracker bug must not block the PBX's event stream
            log.exception("%s: the tracker could not apply event %s (stored)", self, event.key)
            return None

    async def _load_unknown_calls(self, session: AsyncSession, call_ids: list[str]) -> None:
        unknown = [call_id for call_id in call_ids if self.tracker.get(call_id) is None]
        stored = await call_rows.load_calls(session, self.source, unknown)
        if not stored:
            return
        keys = await event_rows.keys_by_call(session, self.source, [c.call_id for c in stored])
        for call in stored:
            self.tracker.restore(call, keys.get(call.call_id, ()))

    async def _save(self, session: AsyncSession, updates: Sequence[TrackerUpdate]) -> None:
        await call_rows.upsert_calls(session, self.source, [update.call for update in updates])
        if self.listener is not None:
            for update in updates:
                with bind_call_id(update.call.call_id):
                    await self.listener(session, update)

    async def restore(self) -> int:
        """Load the calls in flight from the database into the tracker (at start)."""
        async with self._turn, self.db.read() as session:
            calls = await call_rows.in_flight_calls(session, self.source)
            keys = await event_rows.keys_by_call(session, self.source, [c.call_id for c in calls])
        for call in calls:
            self.tracker.restore(call, keys.get(call.call_id, ()))
        return len(calls)

    async def tick(self, now: datetime | None = None) -> list[TrackerUpdate]:
        """Decide the calls whose settle delay passed and store them; returns what was saved.

        The calls due together are saved in one transaction (with the listener). If that
        fails, each is saved in its own; one that cannot be saved is tried again at the next
        ticks, then given up (it stays in flight in the database and is decided again after
        a restart). A call another process decided first keeps that decision.
        """
        async with self._turn:
            for update in self.tracker.finalise_due(now or utcnow()):
                self._unsaved[update.call.call_id] = (update, 0)
            if len(self._unsaved) > 1:
                try:
                    return await self._save_ended(list(self._unsaved))
                except Exception:
                    log.warning(
                        "%s: saving %d ended calls together failed; saving them one by one",
                        self,
                        len(self._unsaved),
                        exc_info=True,
                    )
            saved: list[TrackerUpdate] = []
            for call_id, (update, tries) in list(self._unsaved.items()):
                try:
                    saved += await self._save_ended([call_id])
                except Exception:
                    log.exception("%s: cannot save the end of call %s", self, call_id)
                    if tries + 1 >= MAX_SAVE_TRIES:
                        del self._unsaved[call_id]
                    else:
                        self._unsaved[call_id] = (update, tries + 1)
            return saved

    async def _save_ended(self, call_ids: list[str]) -> list[TrackerUpdate]:
        """Save these decided calls in one transaction (those still undecided in the
        database); forgets them once committed."""
        try:
            async with self.db.transaction() as session:
                decided = await call_rows.lock_undecided_many(session, self.source, call_ids)
                saved = [
                    self._unsaved[call_id][0] for call_id in call_ids if call_id not in decided
                ]
                await self._save(session, saved)
        except BaseException:
            _discard(self.listener)
            raise
        for call_id in call_ids:
            del self._unsaved[call_id]
        for call in decided.values():  # another process decided it first: keep its decision
            self.tracker.restore(call)
        if saved:
            await _after_commit(self.listener)
        return saved

    async def run_ticks(self, stop_event: asyncio.Event, interval_seconds: float = 1.0) -> None:
        """Call :meth:`tick` every ``interval_seconds`` until ``stop_event`` is set."""
        while not stop_event.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("%s: tick failed", self)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), interval_seconds)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A batch waiting for its turn, and its sender's future."""

    events: list[CallEvent]
    done: asyncio.Future[None]


async def _after_commit(listener: CallListener | None) -> None:
    """A listener may act once its decisions are committed (``after_commit()``, optional)."""
    hook = getattr(listener, "after_commit", None)
    if hook is None:
        return
    try:
        await hook()
    except Exception:  # pops are best effort: never fail the PBX's event stream
        log.exception("the call listener's after-commit step failed")


def _discard(listener: CallListener | None) -> None:
    """The transaction rolled back: a listener forgets what it decided (``discard()``)."""
    hook = getattr(listener, "discard", None)
    if hook is not None:
        hook()
