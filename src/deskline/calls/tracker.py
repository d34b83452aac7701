"""The call tracker: folds vendor-neutral call events into calls (F26). Pure, no I/O.

One :class:`~deskline.calls.model.Call` per PBX call id, with a leg per extension rung.
The tracker is tolerant of what real PBX streams do:

- **duplicates**: an event whose ``key`` was already applied to the call is dropped
  (:meth:`CallTracker.apply` returns ``None``);
- **out-of-order and missing events**: a hangup without a ring, an answer without its ring,
  a CDR before the hangup, events of a call never seen before (after a restart) — each event
  fills in what it knows, and every merge rule depends on the events' times and contents,
  not on their arrival order;
- **"missed" decided once**: after the call hangs up the tracker waits ``settle_seconds``
  (measured on the events' clock) so that late leg ends and CDRs still merge in, then
  decides :attr:`Call.status` with the rules of :mod:`deskline.calls.status`. A *complete*
  CDR (``CallDetailRecord.complete``: the PBX's one final record of the call) decides at
  once, with or without a hangup event; partial CDRs (Asterisk) only merge in.
  The status never changes afterwards; late events may still add the recording or CDR
  details;
- **stale calls**: a call silent for ``stale_after_seconds`` is ended as ``failed``.

Semantics worth knowing (shared by every adapter):

- ``caller`` is who placed the call, ``callee`` is who was called: for an inbound call the
  number the customer dialled (the DID), not the agent; the agent is ``answered_by``.
- ``answered_by`` is the extension that took the call: the first leg that answered (for a
  transferred call that is the agent who answered first; the transfer and the final agent's
  leg are in ``transfers`` and ``legs``). For an outbound call it is the calling extension,
  set once the called party answered (:class:`~deskline.calls.events.CallAnswered`).
- ``started_at`` is the earliest live event, ``ended_at`` the hangup (the CDR's times only
  fill in what the live events did not give), ``talk_seconds`` runs from the answer to it.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from deskline.calls import legs as leg_rules
from deskline.calls.events import CallEvent
from deskline.calls.folding import TrackedCall, apply_late, apply_live, aware, refresh
from deskline.calls.model import Call, CallPhase, CallStatus
from deskline.calls.status import decide_status


@dataclass(frozen=True, slots=True)
class TrackerUpdate:
    """What one event (or one finalisation) did to a call."""

    call: Call
    """A copy of the call after the event: safe to keep, store and hand to other tasks."""
    changed: bool
    """The event changed something in the call."""
    ended: bool
    """The call's status was decided by this event / this finalisation."""


class CallTracker:
    """Keeps the calls in flight and decides each one once it is over."""

    def __init__(
        self,
        *,
        settle_seconds: float = 3.0,
        stale_after_seconds: float = 6 * 3600,
        keep_ended: int = 1000,
    ) -> None:
        self._settle = timedelta(seconds=settle_seconds)
        self._stale = timedelta(seconds=stale_after_seconds)
        self._keep_ended = keep_ended
        self._live: dict[str, TrackedCall] = {}
        self._ended: OrderedDict[str, TrackedCall] = OrderedDict()

    # -- public API -----------------------------------------------------------------------

    def apply(self, event: CallEvent) -> TrackerUpdate | None:
        """Fold one event into its call; ``None`` when the event's key was already applied."""
        at = aware(event.at)
        tracked = self._live.get(event.call_id) or self._ended.get(event.call_id)
        digest = hash(event.key)
        created = tracked is None
        if tracked is None:
            tracked = TrackedCall(call=Call(call_id=event.call_id, started_at=at), last_event_at=at)
            self._live[event.call_id] = tracked
        elif digest in tracked.seen:
            return None
        tracked.seen.append(digest)
        if tracked.final:
            changed = apply_late(tracked, event, at)
            return TrackerUpdate(call=_copy(tracked.call), changed=changed, ended=False)
        tracked.last_event_at = max(tracked.last_event_at, at)
        changed = apply_live(tracked, event, at) or created
        refresh(tracked)
        ended = tracked.complete_cdr and tracked.hung_up_at is not None
        if ended:
            self._finalise(tracked)
        return TrackerUpdate(call=_copy(tracked.call), changed=changed or ended, ended=ended)

    def finalise_due(self, now: datetime) -> list[TrackerUpdate]:
        """Decide the calls whose settle delay has passed, and end the stale ones."""
        now = aware(now)
        updates = []
        for tracked in list(self._live.values()):
            if tracked.hung_up_at is not None and now >= tracked.hung_up_at + self._settle:
                updates.append(self._finalise(tracked))
            elif now - tracked.last_event_at >= self._stale:
                updates.append(self._finalise(tracked, stale=True))
        return updates

    def finalise_all(self) -> list[TrackerUpdate]:
        """Decide every call in flight now (end of a replay, shutdown)."""
        return [self._finalise(tracked) for tracked in list(self._live.values())]

    def restore(self, call: Call, seen_keys: Iterable[str] = ()) -> None:
        """Take back a call saved before a restart, with the keys of the events it had."""
        copy = call.model_copy(deep=True)
        times = [t for t in (copy.started_at, copy.answered_at, copy.ended_at) if t is not None]
        tracked = TrackedCall(
            call=copy,
            last_event_at=max(times) if times else datetime.now(UTC),
            seen=array("q", {hash(key) for key in seen_keys}),
            answered_at=copy.answered_at,
            answered_by=copy.answered_by,
            final=copy.status is not None,
        )
        if copy.phase is CallPhase.ENDED:
            tracked.hung_up_at = copy.ended_at or tracked.last_event_at
        self._live.pop(copy.call_id, None)
        self._ended.pop(copy.call_id, None)
        if tracked.final:
            self._remember_ended(tracked)
        else:
            self._live[copy.call_id] = tracked

    def get(self, call_id: str) -> Call | None:
        tracked = self._live.get(call_id) or self._ended.get(call_id)
        return None if tracked is None else _copy(tracked.call)

    def in_flight(self) -> list[Call]:
        return [_copy(tracked.call) for tracked in self._live.values()]

    def preview(self, events: Iterable[CallEvent]) -> list[TrackerUpdate]:
        """What applying ``events`` would do, without changing this tracker.

        The events' calls are copied into a scratch tracker and the events applied there:
        duplicates are dropped as :meth:`apply` would, and the updates are the same as the
        real application's. Used to send ring-time pops before the events are stored.
        """
        events = list(events)
        scratch = CallTracker(keep_ended=len(events) + 1)
        scratch._settle, scratch._stale = self._settle, self._stale
        for call_id in dict.fromkeys(event.call_id for event in events):
            if call_id in self._live:
                scratch._live[call_id] = _clone(self._live[call_id])
            elif call_id in self._ended:
                scratch._ended[call_id] = _clone(self._ended[call_id])
        return [update for event in events if (update := scratch.apply(event)) is not None]

    def checkpoint(self, call_ids: Iterable[str]) -> dict[str, object]:
        """The full state of these calls now (absent ones included), for :meth:`rollback`.

        Used by the event ingestor: it applies a batch, and if the batch's database
        transaction fails, the tracker must forget the batch (added for deskline.ingest).
        """
        saved: dict[str, object] = {}
        for call_id in call_ids:
            if call_id in self._live:
                saved[call_id] = ("live", _clone(self._live[call_id]))
            elif call_id in self._ended:
                saved[call_id] = ("ended", _clone(self._ended[call_id]))
            else:
                saved[call_id] = None
        return saved

    def rollback(self, checkpoint: dict[str, object]) -> None:
        """Put the calls of a :meth:`checkpoint` back as they were (new ones are dropped)."""
        for call_id, entry in checkpoint.items():
            self._live.pop(call_id, None)
            self._ended.pop(call_id, None)
            if isinstance(entry, tuple):
                where, tracked = entry
                (self._live if where == "live" else self._ended)[call_id] = tracked

    # -- finalisation -----------------------------------------------------------------------

    def _finalise(self, tracked: TrackedCall, *, stale: bool = False) -> TrackerUpdate:
        call = tracked.call
        end = tracked.hung_up_at or call.ended_at or tracked.last_event_at
        if stale:
            call.status = CallStatus.FAILED
        else:
            call.status = decide_status(
                direction=call.direction,
                answered=call.answered_at is not None or call.answered_by is not None,
                hangup_status=tracked.hangup_status,
                queue_outcome=call.queue_outcome,
                leg_statuses=[leg.status for leg in call.legs],
                cdr_status=tracked.cdr_status,
            )
        call.ended_at = call.ended_at or end
        leg_rules.close_open_legs(call.legs, call.ended_at)
        call.phase = CallPhase.ENDED
        tracked.final = True
        self._live.pop(call.call_id, None)
        self._remember_ended(tracked)
        return TrackerUpdate(call=_copy(call), changed=True, ended=True)

    def _remember_ended(self, tracked: TrackedCall) -> None:
        """Ended calls are kept a while so late events merge in and duplicates stay dropped."""
        self._ended[tracked.call.call_id] = tracked
        while len(self._ended) > self._keep_ended:
            self._ended.popitem(last=False)


def _clone(tracked: TrackedCall) -> TrackedCall:
    """A copy the folding rules can change without touching ``tracked`` (they replace the
    call's fields, parties and legs, and change only its lists and ``seen`` in place)."""
    return replace(tracked, call=_copy(tracked.call), seen=array("q", tracked.seen))


def _copy(call: Call) -> Call:
    """Legs and transfers are replaced, never changed in place, so list copies suffice."""
    return call.model_copy(update={"legs": list(call.legs), "transfers": list(call.transfers)})
