"""Who calls whom: the direction of a call and its CallOffered event, from the dialplan.

A channel in an inbound context (or the call's first channel being a trunk) makes the call
inbound: caller = its caller id, callee = DID = its Exten. The offer waits for a known caller
id, or for the first ring/queue/recording (:func:`ensure_offered`), whichever comes first. A
channel entering an outbound context with a dialled number makes it outbound (caller = the
extension, callee = the number); an extension's device dialling another extension with
nothing else known makes it internal.
"""

from __future__ import annotations

from deskline.calls.events import CallOffered
from deskline.calls.model import Direction, Party
from deskline.pbx.asterisk.translator_state import Context


def observe(ctx: Context) -> None:
    frame, call, plan = ctx.frame, ctx.call, ctx.plan
    uniqueid = frame.value("Uniqueid")
    call.add_channel(uniqueid, live=ctx.name != "Hangup")
    if call.offered:
        return
    channel, context, exten = (
        frame.value("Channel"),
        frame.value("Context"),
        frame.value("Exten"),
    )
    first_is_trunk = uniqueid == call.call_id and plan.trunk_of(channel) is not None
    if plan.is_inbound_context(context) or first_is_trunk:
        caller = plan.party(frame.value("CallerIDNum"), frame.value("CallerIDName"))
        if call.inbound is None or call.inbound[0].number is None:
            did = exten if exten not in ("", "s") else None
            call.inbound = (caller, did, plan.trunk_of(channel))
        if caller.number is not None:
            _offer_inbound(ctx)
    elif plan.is_outbound_context(context) and plan.is_dialled_number(exten):
        caller = plan.party(frame.value("CallerIDNum"), frame.value("CallerIDName"))
        call.caller_extension = caller.number if caller.is_extension else None
        offer(ctx, Direction.OUTBOUND, caller, exten, trunk=None)


def _offer_inbound(ctx: Context) -> None:
    assert ctx.call.inbound is not None
    caller, did, trunk = ctx.call.inbound
    offer(ctx, Direction.INBOUND, caller, did, trunk=trunk, did=did)


def offer(
    ctx: Context,
    direction: Direction,
    caller: Party,
    callee: str | None,
    *,
    trunk: str | None,
    did: str | None = None,
) -> None:
    callee_party = ctx.plan.party(callee)
    ctx.call.offered = True
    ctx.call.direction = direction
    ctx.emit(
        CallOffered,
        direction=direction,
        caller=caller,
        callee=callee_party,
        trunk=trunk,
        did=callee_party.number if did else None,
    )


def ensure_offered(ctx: Context, *, dialled_extension: str | None = None) -> None:
    """Before a ring, queue or recording: offer what is known (an anonymous caller…)."""
    call, frame = ctx.call, ctx.frame
    if call.offered:
        return
    if call.inbound is not None:
        _offer_inbound(ctx)
        return
    source_ext = ctx.plan.extension_of(frame.value("Channel"))
    if source_ext and dialled_extension:
        caller = ctx.plan.party(source_ext, frame.value("CallerIDName"))
        offer(ctx, Direction.INTERNAL, caller, dialled_extension, trunk=None)
