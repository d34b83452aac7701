"""Legs: which extension rang for a call, and how its part ended (Dial* and Agent* events).

The leg id is the agent channel's Uniqueid. A Local agent channel (``Local/2005@from-queue``)
that dials the extension's device is the same leg, not a second one. An answer or end whose
ring was never seen (after a reconnect) creates the leg. For an outbound call the dial to the
external party is no leg: its ANSWER is a ``CallAnswered`` and its failure the verdict that
``CallHungUp`` carries.
"""

from __future__ import annotations

import logging

from deskline.calls.events import CallAnswered, LegAnswered, LegEnded, LegRinging, QueueLeft
from deskline.calls.model import Direction, LegStatus, QueueOutcome
from deskline.pbx.asterisk.dialplan import channel_base
from deskline.pbx.asterisk.offers import ensure_offered, offer
from deskline.pbx.asterisk.translator_state import (
    LEG_END_BY_DIALSTATUS,
    VERDICT_BY_DIALSTATUS,
    Context,
    LegState,
    to_number,
)

log = logging.getLogger(__name__)


def _ring(ctx: Context, extension: str, leg_id: str, channel: str, name: str | None) -> None:
    leg = LegState(leg_id=leg_id, extension=extension, name=name)
    ctx.call.legs[leg_id] = leg
    ctx.call.leg_bases[channel_base(channel)] = leg
    ctx.emit(LegRinging, extension=extension, name=name, leg_id=leg_id)


def leg_of(ctx: Context) -> LegState | None:
    """The leg a Dial*/Agent* frame is about (created if its ring was never seen)."""
    frame, call = ctx.frame, ctx.call
    dest_uid, dest = frame.value("DestUniqueid"), frame.value("DestChannel")
    leg = call.legs.get(dest_uid)
    if leg is not None or not dest_uid:
        return leg
    extension = ctx.plan.extension_of(dest) or ctx.plan.extension_of(frame.value("Interface"))
    if extension is None:
        return None
    leg = LegState(leg_id=dest_uid, extension=extension)
    call.legs[dest_uid] = leg
    call.leg_bases[channel_base(dest)] = leg
    call.add_channel(dest_uid, live=True)
    return leg


def _answer(ctx: Context, leg: LegState) -> None:
    if leg.answered:
        return
    leg.answered = True
    ensure_offered(ctx, dialled_extension=leg.extension)
    ctx.emit(LegAnswered, extension=leg.extension, name=leg.name, leg_id=leg.leg_id)


def _end(ctx: Context, leg: LegState, status: LegStatus, ring: float | None = None) -> None:
    if leg.answered or leg.ended:
        return
    leg.ended = True
    ctx.emit(LegEnded, extension=leg.extension, status=status, ring_seconds=ring, leg_id=leg.leg_id)


def on_dial_begin(ctx: Context) -> None:
    frame, call, plan = ctx.frame, ctx.call, ctx.plan
    dest, dest_uid, source = (
        frame.value("DestChannel"),
        frame.value("DestUniqueid"),
        frame.value("Channel"),
    )
    call.add_channel(dest_uid, live=True)
    extension = plan.extension_of(dest)
    if extension is not None:
        parent = call.leg_bases.get(channel_base(source)) if source else None
        if parent is not None and parent.extension == extension:
            call.legs[dest_uid] = parent  # a Local agent channel dialling the device
            return
        if dest_uid in call.legs:
            return
        ensure_offered(ctx, dialled_extension=extension)
        _ring(ctx, extension, dest_uid, dest, None)
        return
    trunk = plan.trunk_of(dest)
    if source and (call.direction is Direction.OUTBOUND or trunk is not None):
        call.outbound_dial = dest_uid
        if not call.offered and call.inbound is None:
            caller = plan.party(frame.value("CallerIDNum"), frame.value("CallerIDName"))
            call.caller_extension = caller.number if caller.is_extension else None
            number = frame.value("DestExten")
            if not plan.is_dialled_number(number):
                number = frame.value("DialString").rpartition("/")[2]
            offer(ctx, Direction.OUTBOUND, caller, number or None, trunk=trunk)


def on_dial_end(ctx: Context) -> None:
    frame, call = ctx.frame, ctx.call
    status = frame.value("DialStatus").upper()
    leg = leg_of(ctx)
    if leg is not None:
        if status == "ANSWER":
            _answer(ctx, leg)
        elif status in LEG_END_BY_DIALSTATUS:
            _end(ctx, leg, LEG_END_BY_DIALSTATUS[status])
        return
    dest_uid = frame.value("DestUniqueid")
    if dest_uid and dest_uid == call.outbound_dial and call.direction is Direction.OUTBOUND:
        if status == "ANSWER":
            ctx.emit(CallAnswered, by=call.caller_extension)
        elif status in VERDICT_BY_DIALSTATUS:
            call.verdict = call.verdict or VERDICT_BY_DIALSTATUS[status]


def on_agent_called(ctx: Context) -> None:
    frame, call = ctx.frame, ctx.call
    dest_uid, name = frame.value("DestUniqueid"), frame.value("MemberName") or None
    leg = call.legs.get(dest_uid)
    if leg is not None:
        if name and leg.name != name:
            leg.name = name
            ctx.emit(LegRinging, extension=leg.extension, name=name, leg_id=leg.leg_id)
        return
    plan = ctx.plan
    dest = frame.value("DestChannel")
    extension = plan.extension_of(dest) or plan.extension_of(frame.value("Interface"))
    if extension is None or not dest_uid:
        log.debug("AgentCalled for an interface that is no extension: %s", frame.value("Interface"))
        return
    call.add_channel(dest_uid, live=True)
    ensure_offered(ctx)
    _ring(ctx, extension, dest_uid, dest, name)


def on_agent_ring_no_answer(ctx: Context) -> None:
    leg = leg_of(ctx)
    if leg is not None:
        ring_ms = to_number(ctx.frame.value("RingTime"))
        _end(ctx, leg, LegStatus.NO_ANSWER, None if ring_ms is None else ring_ms / 1000)


def on_agent_connect(ctx: Context) -> None:
    leg = leg_of(ctx)
    if leg is not None:
        _answer(ctx, leg)
    queue = ctx.frame.value("Queue") or ctx.call.queue or ""
    ctx.emit(QueueLeft, queue=queue, outcome=QueueOutcome.ANSWERED)
