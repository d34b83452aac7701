"""Folding leg events into a call's legs, whatever order they arrive in.

A leg is one attempt to ring one extension. Events name the leg by ``leg_id`` when the PBX
has one (exact match); otherwise by extension and time: the latest leg of that extension
that had started ringing by then. An answer or end without a ring creates the leg.

Legs are replaced, never changed in place, so a copy of the list handed out earlier keeps
its values.
"""

from __future__ import annotations

from datetime import datetime

from deskline.calls.events import LegAnswered, LegEnded, LegRinging
from deskline.calls.model import Leg, LegStatus
from deskline.calls.status import LEG_END_RANK


def apply_ringing(legs: list[Leg], event: LegRinging, at: datetime) -> bool:
    index = _find(legs, event.extension, event.leg_id, at, ring=True)
    if index is None:
        legs.append(
            Leg(extension=event.extension, name=event.name, leg_id=event.leg_id, ring_started_at=at)
        )
        return True
    leg = legs[index]
    start = at if leg.ring_started_at is None else min(leg.ring_started_at, at)
    return _replace(legs, index, ring_started_at=start, name=leg.name or event.name)


def apply_answered(legs: list[Leg], event: LegAnswered, at: datetime) -> bool:
    index = _find(legs, event.extension, event.leg_id, at)
    if index is None:
        legs.append(
            Leg(
                extension=event.extension,
                name=event.name,
                leg_id=event.leg_id,
                status=LegStatus.ANSWERED,
                answered_at=at,
            )
        )
        return True
    leg = legs[index]
    answered_at = at if leg.answered_at is None else min(leg.answered_at, at)
    return _replace(
        legs, index, status=LegStatus.ANSWERED, answered_at=answered_at, name=leg.name or event.name
    )


def apply_ended(legs: list[Leg], event: LegEnded, at: datetime) -> bool:
    index = _find(legs, event.extension, event.leg_id, at)
    if index is None:
        legs.append(
            Leg(
                extension=event.extension,
                leg_id=event.leg_id,
                status=event.status,
                ended_at=at,
                ring_seconds=event.ring_seconds,
            )
        )
        return True
    leg = legs[index]
    if LegStatus.ANSWERED in (event.status, leg.status):
        ended = at if leg.ended_at is None else min(leg.ended_at, at)
        return _replace(legs, index, status=LegStatus.ANSWERED, ended_at=ended)
    if leg.status is not LegStatus.RINGING and leg.ended_at is not None:
        earlier = at < leg.ended_at
        stronger = at == leg.ended_at and LEG_END_RANK[event.status] > LEG_END_RANK[leg.status]
        if not (earlier or stronger):
            return False
    return _replace(legs, index, status=event.status, ended_at=at, ring_seconds=event.ring_seconds)


def close_open_legs(legs: list[Leg], at: datetime) -> None:
    """At the end of a call, legs that never reported an end end with it."""
    for index, leg in enumerate(legs):
        if leg.ended_at is None:
            status = leg.status if leg.status is LegStatus.ANSWERED else LegStatus.CANCELLED
            _replace(legs, index, status=status, ended_at=max(at, _leg_start(leg) or at))


def _find(
    legs: list[Leg], extension: str, leg_id: str | None, at: datetime, *, ring: bool = False
) -> int | None:
    """The leg an event is about: by leg id, else the latest open leg of the extension that
    had started by then. A ring may also complete a leg known only from its answer or end;
    an answer or end may also land on the latest leg that had started (a repeated report)."""
    if leg_id is not None:
        for index in range(len(legs) - 1, -1, -1):
            if legs[index].leg_id == leg_id:
                return index
        return None
    fallback: int | None = None
    for index in range(len(legs) - 1, -1, -1):
        leg = legs[index]
        if leg.extension != extension or leg.leg_id is not None:
            continue
        if ring:
            later = leg.answered_at or leg.ended_at
            if leg.ring_started_at is None and (later is None or later >= at):
                return index
            if leg.ended_at is None and leg.answered_at is None:
                return index
            continue
        start = _leg_start(leg)
        if start is not None and start > at:
            continue
        if leg.ended_at is None:
            return index
        if fallback is None:
            fallback = index
    return fallback


def _leg_start(leg: Leg) -> datetime | None:
    return leg.ring_started_at or leg.answered_at


def _replace(legs: list[Leg], index: int, **changes: object) -> bool:
    leg = legs[index]
    updated = leg.model_copy(update=changes)
    updated.ring_seconds = _ring_seconds(updated)
    if updated == leg:
        return False
    legs[index] = updated
    return True


def _ring_seconds(leg: Leg) -> float | None:
    start = leg.ring_started_at
    if start is not None and leg.answered_at is not None:
        return max(0.0, (leg.answered_at - start).total_seconds())
    if leg.ring_seconds is not None:
        return leg.ring_seconds
    if start is not None and leg.ended_at is not None:
        return max(0.0, (leg.ended_at - start).total_seconds())
    return None
