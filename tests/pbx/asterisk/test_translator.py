"""AMI frames → call events, on FreePBX-shaped traffic (PJSIP trunks and devices)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from deskline.calls.events import CallEvent
from deskline.calls.model import CallStatus, Direction, LegStatus, QueueOutcome
from deskline.calls.tracker import CallTracker
from deskline.pbx.asterisk.dialplan import Dialplan
from deskline.pbx.asterisk.protocol import Frame
from deskline.pbx.asterisk.replay import read_frames
from deskline.pbx.asterisk.translator import AmiTranslator
from tests.conftest import AMI_CAPTURES

LINKED = "1700000000.10"
TRUNK = "PJSIP/voip-provider-00000010"
_clock = iter(range(10_000))


def event(name: str, **fields: str) -> Frame:
    stamp = f"1700000000.{next(_clock):06d}"
    items = [("Event", name), ("Timestamp", stamp)]
    items += [(key.replace("_", "-"), value) for key, value in fields.items()]
    return Frame(items)


def channel(
    name: str, uniqueid: str, *, context: str = "", exten: str = "", cid: str = "", cname: str = ""
) -> dict[str, str]:
    return {
        "Channel": name,
        "Uniqueid": uniqueid,
        "Linkedid": LINKED,
        "Context": context,
        "Exten": exten,
        "CallerIDNum": cid or "<unknown>",
        "CallerIDName": cname or "<unknown>",
    }


def dest(name: str, uniqueid: str, exten: str = "") -> dict[str, str]:
    return {
        "DestChannel": name,
        "DestUniqueid": uniqueid,
        "DestLinkedid": LINKED,
        "DestExten": exten,
    }


def translate(frames: list[Frame], **plan: Any) -> list[CallEvent]:
    translator = AmiTranslator(Dialplan(**plan))
    return [e for f in frames for e in translator.translate(f)]


def kinds(events: list[CallEvent]) -> list[str]:
    return [e.kind for e in events]


def fold(events: list[CallEvent]) -> Any:
    tracker = CallTracker()
    for e in events:
        tracker.apply(e)
    (update,) = tracker.finalise_all()
    return update.call


def inbound_customer() -> dict[str, str]:
    return channel(
        TRUNK, LINKED, context="from-pstn", exten="5551230000", cid="5557654321", cname="ACME Corp"
    )


def test_a_trunk_call_in_an_inbound_context_is_offered_with_e164_numbers() -> None:
    events = translate([event("Newchannel", **inbound_customer())])
    (offer,) = events
    assert offer.kind == "call.offered" and offer.call_id == LINKED
    assert offer.direction is Direction.INBOUND
    assert (offer.caller.number, offer.caller.raw, offer.caller.name) == (
        "+15557654321",
        "5557654321",
        "ACME Corp",
    )
    assert offer.did == "+15551230000" and offer.callee.number == "+15551230000"
    assert offer.trunk == "voip-provider"


def test_a_queue_member_behind_a_local_channel_is_one_leg() -> None:
    customer = inbound_customer()
    local1, local2, device = (
        "Local/2005@from-queue-00000011;1",
        "Local/2005@from-queue-00000011;2",
        "PJSIP/2005-00000012",
    )
    frames = [
        event("Newchannel", **customer),
        event("QueueCallerJoin", **customer, Queue="sales", Position="1", Count="1"),
        event(
            "AgentCalled",
            **customer,
            **dest(local1, "1700000000.11"),
            Queue="sales",
            Interface="Local/2005@from-queue/n",
            MemberName="Alice",
        ),
        event(
            "DialBegin",
            **customer,
            **dest(local1, "1700000000.11", "2005"),
            DialString="Local/2005@from-queue/n",
        ),
        event(
            "DialBegin",
            **channel(local2, "1700000000.12", context="from-queue", exten="2005"),
            **dest(device, "1700000000.13", "2005"),
            DialString="2005",
        ),
        event(
            "DialEnd",
            **channel(local2, "1700000000.12"),
            **dest(device, "1700000000.13"),
            DialStatus="ANSWER",
        ),
        event("DialEnd", **customer, **dest(local1, "1700000000.11"), DialStatus="ANSWER"),
        event(
            "AgentConnect",
            **customer,
            **dest(local1, "1700000000.11"),
            Queue="sales",
            Interface="Local/2005@from-queue/n",
            MemberName="Alice",
            HoldTime="3",
            RingTime="2",
        ),
    ]
    events = translate(frames)
    assert kinds(events) == [
        "call.offered",
        "queue.entered",
        "leg.ringing",
        "leg.answered",
        "queue.left",
    ]
    ring = events[2]
    assert ring.kind == "leg.ringing" and (ring.extension, ring.name, ring.leg_id) == (
        "2005",
        "Alice",
        "1700000000.11",
    )


def test_an_outbound_call_from_a_desk_phone_carries_the_dial_verdict() -> None:
    phone = channel(
        "PJSIP/2005-00000020",
        LINKED,
        context="outbound-allroutes",
        exten="5551234567",
        cid="2005",
        cname="Alice",
    )
    frames = [
        event("Newexten", **phone),
        event(
            "DialBegin",
            **phone,
            **dest("PJSIP/voip-provider-00000021", "1700000000.21", "5551234567"),
            DialString="voip-provider/5551234567",
        ),
        event(
            "DialEnd",
            **phone,
            **dest("PJSIP/voip-provider-00000021", "1700000000.21"),
            DialStatus="BUSY",
        ),
        event(
            "Hangup",
            **channel("PJSIP/voip-provider-00000021", "1700000000.21"),
            Cause="17",
            Cause_txt="User busy",
        ),
        event("Hangup", **phone, Cause="16", Cause_txt="Normal Clearing"),
    ]
    events = translate(frames)
    assert kinds(events) == ["call.offered", "call.hungup"]
    offer, hangup = events
    assert offer.direction is Direction.OUTBOUND
    assert (offer.caller.number, offer.caller.is_extension) == ("2005", True)
    assert offer.callee.number == "+15551234567"
    assert hangup.status is CallStatus.BUSY
    call = fold(events)
    assert call.status is CallStatus.BUSY and call.answered_by is None


def test_an_extension_calling_an_extension_is_internal() -> None:
    phone = channel(
        "PJSIP/2005-00000030",
        LINKED,
        context="from-internal",
        exten="2006",
        cid="2005",
        cname="Alice",
    )
    frames = [
        event("Newchannel", **phone),
        event(
            "DialBegin",
            **phone,
            **dest("PJSIP/2006-00000031", "1700000000.31", "2006"),
            DialString="2006",
        ),
        event("Hangup", **channel("PJSIP/2006-00000031", "1700000000.31"), Cause="17"),
        event("Hangup", **phone, Cause="16"),
    ]
    events = translate(frames)
    assert kinds(events) == ["call.offered", "leg.ringing", "leg.ended", "call.hungup"]
    assert events[0].direction is Direction.INTERNAL
    assert (events[0].caller.number, events[0].callee.number) == ("2005", "2006")
    assert events[2].status is LegStatus.BUSY  # a ringing leg hung up with cause 17
    assert fold(events).status is CallStatus.BUSY


def test_an_anonymous_caller_is_offered_at_the_first_ring() -> None:
    customer = channel(TRUNK, LINKED, context="from-pstn", exten="5551230000", cid="anonymous")
    frames = [
        event("Newchannel", **customer),
        event("DialBegin", **customer, **dest("PJSIP/2005-00000040", "1700000000.40", "2005")),
    ]
    events = translate(frames)
    assert kinds(events) == ["call.offered", "leg.ringing"]
    assert events[0].caller.number is None and events[0].direction is Direction.INBOUND


def test_the_queue_status_variable_tells_a_timeout() -> None:
    customer = inbound_customer()
    frames = [
        event("QueueCallerJoin", **customer, Queue="sales"),
        event("QueueCallerAbandon", **customer, Queue="sales", HoldTime="8"),
        event("VarSet", **customer, Variable="QUEUESTATUS", Value="TIMEOUT"),
    ]
    outcomes = [e.outcome for e in translate(frames) if e.kind == "queue.left"]
    assert outcomes == [QueueOutcome.ABANDONED, QueueOutcome.TIMEOUT]


def test_contexts_come_from_the_configuration() -> None:
    customer = channel(
        "Local/100@my-inbound-00000001;2",
        LINKED,
        context="my-inbound",
        exten="100",
        cid="+4930123456",
    )
    assert translate([event("Newchannel", **customer)]) == []
    (offer,) = translate(
        [event("Newchannel", **customer)], inbound_contexts=["my-*"], default_country="DE"
    )
    assert offer.caller.number == "+4930123456" and offer.direction is Direction.INBOUND


def test_a_duplicated_frame_gives_no_second_events_and_keys_are_stable() -> None:
    frames, _ = read_frames((AMI_CAPTURES / "02_queue_answered.txt").read_bytes())
    once = translate(frames)
    twice = translate([f for frame in frames for f in (frame, frame)])
    assert [e.key for e in twice] == [e.key for e in once]
    assert len({e.key for e in once}) == len(once)


def test_responses_and_list_items_are_not_call_events() -> None:
    frames, _ = read_frames((AMI_CAPTURES / "10_action_responses.txt").read_bytes())
    listed = [
        f for f in frames if f.action_id and f.event in {"CoreShowChannel", "Status", "QueueEntry"}
    ]
    assert listed and translate(listed) == []


def test_a_cdr_of_an_unknown_channel_is_skipped() -> None:
    assert translate([event("Cdr", UniqueID="42.42", Disposition="ANSWERED")]) == []


def test_a_frame_that_breaks_a_handler_is_logged_and_skipped(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    translator = AmiTranslator(Dialplan())

    def broken(ctx: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setitem(translator._handlers, "Hangup", broken)
    with caplog.at_level(logging.ERROR):
        events = translator.translate(event("Hangup", **inbound_customer()))
    assert kinds(events) == ["call.offered"]  # what came before the failure is kept
    assert "could not be translated" in caplog.text
    joined = translator.translate(event("QueueCallerJoin", **inbound_customer(), Queue="sales"))
    assert kinds(joined) == ["queue.entered"]


def test_a_restarted_translator_picks_up_a_call_in_progress() -> None:
    """After a reconnect the first frames of a call are missing: the rest still makes sense."""
    frames, _ = read_frames((AMI_CAPTURES / "02_queue_answered.txt").read_bytes())
    cut = next(i for i, f in enumerate(frames) if f.event == "AgentConnect")
    call = fold(translate(frames[cut:]))
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2005"
    assert call.caller.number == "+15557654321"
