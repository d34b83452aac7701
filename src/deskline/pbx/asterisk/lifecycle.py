"""The rest of a call's life: queue, recording, transfer, hangup and Cdr events.

- ``QueueCallerJoin`` → ``QueueEntered``; ``QueueCallerAbandon`` → ``QueueLeft`` abandoned, and
  ``VarSet QUEUESTATUS=TIMEOUT`` (which follows it on a timeout) → ``QueueLeft`` timeout;
- ``VarSet MIXMONITOR_FILENAME`` → ``RecordingStarted`` (the path is the ref);
- ``BlindTransfer``/``AttendedTransfer`` → ``CallTransferred``;
- ``Hangup`` of an agent channel ends its leg; the hangup of the call's first channel (unless
  the call was transferred) or of its last known channel → ``CallHungUp``;
- ``Cdr`` → ``CallDetailRecord`` merged per call (see :mod:`deskline.pbx.asterisk.cdr`).
"""

from __future__ import annotations

from deskline.calls.events import (
    CallHungUp,
    CallTransferred,
    LegEnded,
    QueueEntered,
    QueueLeft,
    RecordingStarted,
)
from deskline.calls.model import Direction, LegStatus, QueueOutcome
from deskline.pbx.asterisk.offers import ensure_offered
from deskline.pbx.asterisk.translator_state import (
    LEG_END_BY_CAUSE,
    QUEUE_OUTCOME_BY_STATUS,
    Context,
)


def on_queue_join(ctx: Context) -> None:
    ctx.call.queue = ctx.frame.value("Queue")
    ensure_offered(ctx)
    ctx.emit(QueueEntered, queue=ctx.call.queue)


def on_queue_leave(ctx: Context) -> None:
    ctx.emit(QueueLeft, queue=ctx.frame.value("Queue"), outcome=None)


def on_queue_abandon(ctx: Context) -> None:
    ctx.emit(QueueLeft, queue=ctx.frame.value("Queue"), outcome=QueueOutcome.ABANDONED)


def on_var_set(ctx: Context) -> None:
    variable, value = ctx.frame.value("Variable"), ctx.frame.value("Value")
    if variable == "MIXMONITOR_FILENAME" and value:
        ensure_offered(ctx)
        ctx.emit(RecordingStarted, ref=value)
    elif variable == "QUEUESTATUS" and value.upper() in QUEUE_OUTCOME_BY_STATUS:
        outcome = QUEUE_OUTCOME_BY_STATUS[value.upper()]
        ctx.emit(QueueLeft, queue=ctx.call.queue or "", outcome=outcome)


def on_hangup(ctx: Context) -> None:
    frame, call = ctx.frame, ctx.call
    uniqueid = frame.value("Uniqueid")
    call.live.discard(uniqueid)
    leg = call.legs.get(uniqueid)
    if leg is not None and not leg.ended:
        status = (
            LegStatus.ANSWERED
            if leg.answered
            else LEG_END_BY_CAUSE.get(frame.value("Cause"), LegStatus.CANCELLED)
        )
        leg.ended = True
        ctx.emit(LegEnded, extension=leg.extension, status=status, leg_id=leg.leg_id)
    first_channel_left = uniqueid == call.call_id and not call.transferred
    if not call.hung_up and (first_channel_left or not call.live):
        ensure_offered(ctx)
        call.hung_up = True
        verdict = call.verdict if call.direction is Direction.OUTBOUND else None
        cause = frame.value("Cause-txt") or frame.value("Cause") or None
        ctx.emit(CallHungUp, cause=cause, status=verdict)


def on_blind_transfer(ctx: Context) -> None:
    frame = ctx.frame
    ctx.call.transferred = True
    ctx.emit(
        CallTransferred,
        transfer_kind="blind",
        from_extension=ctx.plan.extension_of(frame.value("TransfererChannel")),
        to=frame.value("Extension"),
        result=frame.value("Result") or None,
    )


def on_attended_transfer(ctx: Context) -> None:
    frame, plan = ctx.frame, ctx.plan
    target = (
        plan.extension_of(frame.value("SecondTransfererChannel"))
        or plan.extension_of(frame.value("TransferTargetChannel"))
        or frame.value("SecondTransfererExten")
    )
    ctx.call.transferred = True
    ctx.emit(
        CallTransferred,
        transfer_kind="attended",
        from_extension=plan.extension_of(frame.value("OrigTransfererChannel")),
        to=target or "unknown",
        result=frame.value("Result") or None,
    )


def on_cdr(ctx: Context) -> None:
    first = ctx.frame.value("UniqueID") == ctx.call.call_id
    ctx.call.cdr.add(ctx.frame, first_channel=first, dialplan=ctx.plan)
    ctx.events.append(ctx.call.cdr.event(ctx.call.call_id, ctx.at, f"{ctx.identity}:call.cdr"))
