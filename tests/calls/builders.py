"""Small builders of call events for tracker tests: a clock in seconds, keys that count up."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from deskline.calls import events as ev
from deskline.calls.model import Direction, LegStatus, Party

T0 = datetime(2026, 11, 21, 18, 0, 0, tzinfo=UTC)
_keys = itertools.count()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _base(t: float, key: str | None, call_id: str) -> dict[str, Any]:
    return {"call_id": call_id, "at": at(t), "key": key or f"k{next(_keys)}"}


def offered(
    t: float,
    *,
    direction: Direction = Direction.INBOUND,
    caller: str = "+15551234567",
    callee: str = "1001",
    key: str | None = None,
    call_id: str = "c1",
) -> ev.CallOffered:
    return ev.CallOffered(
        **_base(t, key, call_id),
        direction=direction,
        caller=Party(number=caller, raw=caller, is_extension=len(caller) <= 6),
        callee=Party(number=callee, raw=callee, is_extension=len(callee) <= 6),
        did=callee if direction is Direction.INBOUND else None,
    )


def ringing(
    t: float, ext: str, *, leg_id: str | None = None, key: str | None = None, call_id: str = "c1"
) -> ev.LegRinging:
    return ev.LegRinging(**_base(t, key, call_id), extension=ext, leg_id=leg_id)


def answered(
    t: float, ext: str, *, leg_id: str | None = None, key: str | None = None, call_id: str = "c1"
) -> ev.LegAnswered:
    return ev.LegAnswered(**_base(t, key, call_id), extension=ext, leg_id=leg_id)


def leg_ended(
    t: float,
    ext: str,
    status: LegStatus,
    *,
    leg_id: str | None = None,
    ring_seconds: float | None = None,
    key: str | None = None,
    call_id: str = "c1",
) -> ev.LegEnded:
    return ev.LegEnded(
        **_base(t, key, call_id),
        extension=ext,
        status=status,
        leg_id=leg_id,
        ring_seconds=ring_seconds,
    )


def hung_up(
    t: float, *, key: str | None = None, call_id: str = "c1", **fields: Any
) -> ev.CallHungUp:
    return ev.CallHungUp(**_base(t, key, call_id), **fields)


def cdr(
    t: float, *, key: str | None = None, call_id: str = "c1", **fields: Any
) -> ev.CallDetailRecord:
    return ev.CallDetailRecord(**_base(t, key, call_id), **fields)


def queue_entered(t: float, queue: str = "support", *, call_id: str = "c1") -> ev.QueueEntered:
    return ev.QueueEntered(**_base(t, None, call_id), queue=queue)


def queue_left(
    t: float, outcome: Any, queue: str = "support", *, call_id: str = "c1"
) -> ev.QueueLeft:
    return ev.QueueLeft(**_base(t, None, call_id), queue=queue, outcome=outcome)


def call_answered(t: float, by: str | None = None, *, call_id: str = "c1") -> ev.CallAnswered:
    return ev.CallAnswered(**_base(t, None, call_id), by=by)


def recording(t: float, ref: str, *, call_id: str = "c1") -> ev.RecordingStarted:
    return ev.RecordingStarted(**_base(t, None, call_id), ref=ref)


def transferred(t: float, from_ext: str, to: str, *, call_id: str = "c1") -> ev.CallTransferred:
    return ev.CallTransferred(**_base(t, None, call_id), from_extension=from_ext, to=to)
