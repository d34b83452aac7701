"""How one event changes a tracked call: the merge rules behind :mod:`deskline.calls.tracker`.

Every rule depends on the events' times and contents, not on the order they arrive in: the
earliest start, the earliest answer, the most specific queue outcome, the first recording.
After the status is decided (:attr:`TrackedCall.final`) only details may still arrive.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime

from deskline.calls import legs as leg_rules
from deskline.calls.events import (
    CallAnswered,
    CallDetailRecord,
    CallEvent,
    CallHungUp,
    CallOffered,
    CallTransferred,
    LegAnswered,
    LegEnded,
    LegRinging,
    QueueEntered,
    QueueLeft,
    RecordingStarted,
)
from deskline.calls.model import Call, CallPhase, CallStatus, Direction, LegStatus, Party, Transfer
from deskline.calls.status import stronger_queue_outcome


@dataclass(slots=True)
class TrackedCall:
    """A call plus the facts the status rules need that the Call itself does not show."""

    call: Call
    last_event_at: datetime
    seen: array[int] = field(default_factory=lambda: array("q"))
    """Hashes of the keys applied: a compact array (a call has tens of events, not thousands)."""
    hung_up_at: datetime | None = None
    hangup_status: CallStatus | None = None
    answered_at: datetime | None = None  # from CallAnswered
    answered_by: str | None = None
    cdr_status: CallStatus | None = None
    cdr_answered_at: datetime | None = None
    cdr_answered_by: str | None = None
    complete_cdr: bool = False
    queue_at: datetime | None = None
    recording_at: datetime | None = None
    final: bool = False


def apply_live(tracked: TrackedCall, event: CallEvent, at: datetime) -> bool:
    call = tracked.call
    changed = _set_min(call, "started_at", at)
    match event:
        case CallOffered():
            changed |= _apply_offer(call, event)
        case QueueEntered():
            if tracked.queue_at is None or at >= tracked.queue_at:
                tracked.queue_at = at
                changed |= _set(call, "queue", event.queue)
        case QueueLeft():
            outcome = stronger_queue_outcome(call.queue_outcome, event.outcome)
            changed |= _set(call, "queue_outcome", outcome)
            if call.queue is None:
                changed |= _set(call, "queue", event.queue)
        case LegRinging():
            changed |= leg_rules.apply_ringing(call.legs, event, at)
        case LegAnswered():
            changed |= leg_rules.apply_answered(call.legs, event, at)
        case LegEnded():
            changed |= leg_rules.apply_ended(call.legs, event, at)
        case CallTransferred():
            changed |= _apply_transfer(call, event, at)
        case CallAnswered():
            if tracked.answered_at is None or at < tracked.answered_at:
                tracked.answered_at = at
                changed = True
            tracked.answered_by = tracked.answered_by or event.by
        case RecordingStarted():
            if tracked.recording_at is None or at < tracked.recording_at:
                tracked.recording_at = at
                changed |= _set(call, "recording", event.ref)
        case CallHungUp():
            if tracked.hung_up_at is None or at < tracked.hung_up_at:
                tracked.hung_up_at = at
                call.ended_at = at
                changed = True
            tracked.hangup_status = tracked.hangup_status or event.status
            if call.hangup_cause is None and event.cause:
                changed |= _set(call, "hangup_cause", event.cause)
        case CallDetailRecord():
            changed |= _apply_cdr(tracked, event, at)
    return changed


def apply_late(tracked: TrackedCall, event: CallEvent, at: datetime) -> bool:
    """After the status is decided, only details may still arrive."""
    call = tracked.call
    if isinstance(event, RecordingStarted) and call.recording is None:
        return _set(call, "recording", event.ref)
    if isinstance(event, CallDetailRecord):
        changed = _set(call, "has_cdr", True)
        changed |= _fill_details(call, event)
        if event.recording and call.recording is None:
            changed |= _set(call, "recording", event.recording)
        return changed
    return False


def _apply_offer(call: Call, event: CallOffered) -> bool:
    changed = _set(call, "direction", _merge_direction(call.direction, event.direction))
    changed |= _set(call, "caller", _merge_party(call.caller, event.caller))
    changed |= _set(call, "callee", _merge_party(call.callee, event.callee))
    if call.trunk is None and event.trunk:
        changed |= _set(call, "trunk", event.trunk)
    if call.did is None and event.did:
        changed |= _set(call, "did", event.did)
    return changed


def _apply_transfer(call: Call, event: CallTransferred, at: datetime) -> bool:
    transfer = Transfer(
        at=at,
        kind=event.transfer_kind,
        from_extension=event.from_extension,
        to=event.to,
        result=event.result,
    )
    if transfer in call.transfers:
        return False
    call.transfers = sorted([*call.transfers, transfer], key=lambda t: t.at)
    return True


def _apply_cdr(tracked: TrackedCall, event: CallDetailRecord, at: datetime) -> bool:
    call = tracked.call
    changed = _set(call, "has_cdr", True)
    if event.status is not None and tracked.cdr_status is not CallStatus.ANSWERED:
        tracked.cdr_status = event.status
    if event.answered_at is not None:
        answered = aware(event.answered_at)
        if tracked.cdr_answered_at is None or answered < tracked.cdr_answered_at:
            tracked.cdr_answered_at = answered
    tracked.cdr_answered_by = tracked.cdr_answered_by or event.answered_by
    changed |= _set(call, "direction", _merge_direction(call.direction, event.direction))
    changed |= _fill_details(call, event)
    if event.recording and call.recording is None:
        changed |= _set(call, "recording", event.recording)
    if event.complete:
        tracked.complete_cdr = True
        if tracked.hung_up_at is None:  # the PBX's final word: the call is over
            tracked.hung_up_at = aware(event.ended_at) if event.ended_at else at
            call.ended_at = call.ended_at or tracked.hung_up_at
    return changed


def _fill_details(call: Call, event: CallDetailRecord) -> bool:
    changed = False
    if event.caller is not None:
        changed |= _set(call, "caller", _merge_party(call.caller, event.caller))
    if event.callee is not None:
        changed |= _set(call, "callee", _merge_party(call.callee, event.callee))
    for name in ("trunk", "did"):
        value = getattr(event, name)
        if getattr(call, name) is None and value:
            changed |= _set(call, name, value)
    if call.started_at is None and event.started_at is not None:
        changed |= _set(call, "started_at", aware(event.started_at))
    return changed


def refresh(tracked: TrackedCall) -> None:
    """Recompute the answer and phase from everything known (order-independent)."""
    call = tracked.call
    answered_at: datetime | None
    answered_by: str | None
    if call.direction is Direction.OUTBOUND:
        answered_at = tracked.answered_at or tracked.cdr_answered_at
        caller_ext = call.caller.number if call.caller.is_extension else None
        answered_by = tracked.answered_by or tracked.cdr_answered_by or caller_ext
        if answered_at is None and tracked.cdr_status is not CallStatus.ANSWERED:
            answered_by = None
    else:
        answered = [leg for leg in call.legs if leg.status is LegStatus.ANSWERED]
        # the first leg to answer; legs known as answered only from their end come last
        answered.sort(key=lambda leg: leg.answered_at or _NEVER)
        first = answered[0] if answered else None
        times = [t for t in (tracked.answered_at, first.answered_at if first else None) if t]
        answered_at = min(times) if times else tracked.cdr_answered_at
        first_ext = first.extension if first else None
        answered_by = first_ext or tracked.answered_by or tracked.cdr_answered_by
    call.answered_at = answered_at
    call.answered_by = answered_by
    if tracked.hung_up_at is not None:
        call.phase = CallPhase.ENDED
    elif answered_at is not None or answered_by is not None:
        call.phase = CallPhase.TALKING
    else:
        call.phase = CallPhase.RINGING


# -- small helpers ------------------------------------------------------------------------

_NEVER = datetime.max.replace(tzinfo=UTC)
_DIRECTION_RANK = {Direction.INTERNAL: 1, Direction.INBOUND: 2, Direction.OUTBOUND: 2}


def _merge_direction(current: Direction | None, new: Direction | None) -> Direction | None:
    """Inbound/outbound (a trunk is involved) beat internal; otherwise the first one stays."""
    if new is None:
        return current
    if current is None or _DIRECTION_RANK[new] > _DIRECTION_RANK[current]:
        return new
    return current


def _merge_party(current: Party, new: Party) -> Party:
    if current.number is None and new.number is not None:
        return Party(
            number=new.number,
            raw=new.raw,
            name=current.name or new.name,
            is_extension=new.is_extension,
        )
    if current.name is None and new.name is not None:
        return current.model_copy(update={"name": new.name})
    return current


def _set(call: Call, name: str, value: object) -> bool:
    if getattr(call, name) == value:
        return False
    setattr(call, name, value)
    return True


def _set_min(call: Call, name: str, value: datetime) -> bool:
    current = getattr(call, name)
    if current is not None and current <= value:
        return False
    setattr(call, name, value)
    return True


def aware(value: datetime) -> datetime:
    """Naive times are taken as UTC (so comparing them never raises)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
