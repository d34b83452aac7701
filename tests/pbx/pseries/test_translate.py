"""P-Series events fold into the right calls through the tracker."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deskline.calls.events import CallEvent
from deskline.calls.model import Call, CallStatus, Direction, LegStatus
from deskline.calls.tracker import CallTracker
from deskline.errors import EventPayloadError
from deskline.pbx.pseries.cdr import cdr_direction, cdr_status
from deskline.pbx.pseries.events import decode_event
from deskline.pbx.pseries.translate import PSeriesTranslator
from tests.fakes.pseries_server import frame
from tests.pbx.pseries.test_websocket import REAL_30011, REAL_30012

CALL = "1702290000.1"
TRUNK = "PJSIP/trunk-0001"


class StepClock:
    """Each reading is one second after the previous one."""

    def __init__(self) -> None:
        self.now = datetime(2023, 12, 11, 9, 5, 30, tzinfo=UTC)  # live events arrive "now"

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def translator(country: str = "ZA", zone: str = "Africa/Johannesburg") -> PSeriesTranslator:
    return PSeriesTranslator(tz=ZoneInfo(zone), default_country=country, clock=StepClock())


def ext(number: str, status: str, channel: str | None = None) -> dict[str, Any]:
    channel = channel or f"PJSIP/{number}-0001"
    return {
        "extension": {
            "number": number,
            "channel_id": channel,
            "member_status": status,
            "call_path": "",
        }
    }


def inbound(status: str, src: str = "0821234567", did: str = "5503301") -> dict[str, Any]:
    return {
        "inbound": {
            "from": src,
            "to": did,
            "trunk_name": "Trunk1",
            "channel_id": TRUNK,
            "member_status": status,
            "call_path": "",
        }
    }


def outbound(status: str, src: str = "2005", dst: str = "0215551234") -> dict[str, Any]:
    return {
        "outbound": {
            "from": src,
            "to": dst,
            "trunk_name": "Trunk1",
            "channel_id": TRUNK,
            "member_status": status,
            "call_path": "",
        }
    }


def state(*members: dict[str, Any], topic: int = 30011, **extra: Any) -> str:
    return frame(topic, {"call_id": CALL, "members": list(members), **extra})


def cdr(status: str, kind: str, src: str, dst: str, talk: int = 0, **extra: Any) -> str:
    return frame(
        30012,
        {
            "call_id": CALL,
            "time_start": "2023-12-11 11:00:00",
            "call_from": src,
            "call_to": dst,
            "call_duration": talk + 10,
            "talk_duration": talk,
            "src_trunk_name": "Trunk1",
            "dst_trunk_name": "",
            "pin_code": "",
            "status": status,
            "type": kind,
            "recording": extra.pop("recording", ""),
            "did_number": "",
            "agent_ring_time": 3,
            **extra,
        },
    )


def translate_all(frames: Iterable[str], tr: PSeriesTranslator | None = None) -> list[CallEvent]:
    tr = tr or translator()
    return [event for text in frames for event in tr.translate(decode_event(text))]


def call_of(frames: list[str]) -> Call:
    events = translate_all(frames)
    tracker = CallTracker()
    for event in events:
        tracker.apply(event)
    tracker.finalise_all()
    call = tracker.get(events[0].call_id)
    assert call is not None
    return call


def test_the_two_real_events_make_an_outbound_busy_call() -> None:
    events = translate_all([REAL_30011, REAL_30012])
    tracker = CallTracker()
    for event in events:
        tracker.apply(event)
    tracker.finalise_all()
    call = tracker.get("1702285525.16")
    assert call is not None
    assert call.direction is Direction.OUTBOUND
    assert call.status is CallStatus.BUSY
    assert (call.caller.number, call.callee.number) == ("703", "+27872858652")
    assert call.trunk == "27872858652_SIP"
    assert call.started_at == datetime(2023, 12, 11, 9, 5, 25, tzinfo=UTC)  # 11:05 SAST
    assert call.answered_by is None


def test_inbound_answered_call() -> None:
    call = call_of(
        [
            state(inbound("ALERT")),
            state(inbound("ALERT"), ext("2005", "RING")),
            state(inbound("ANSWERED"), ext("2005", "ANSWER")),
            state(inbound("BYE"), ext("2005", "BYE")),
            cdr("Answerd", "Inbound", "0821234567", "2005", talk=5, recording="20231211-2005.wav"),
        ]
    )
    assert call.direction is Direction.INBOUND
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2005"
    assert call.caller.number == "+27821234567" and call.did == "5503301"
    assert call.trunk == "Trunk1"
    assert [(leg.extension, leg.status) for leg in call.legs] == [("2005", LegStatus.ANSWERED)]
    assert call.recording == "20231211-2005.wav"


def test_queue_call_rings_two_agents_and_the_second_answers() -> None:
    call = call_of(
        [
            state(inbound("ALERT"), ext("2006", "RING")),
            state(ext("2006", "BYE")),
            state(ext("2005", "RING")),
            state(ext("2005", "ANSWER"), inbound("ANSWERED")),
            state(inbound("BYE"), ext("2005", "BYE")),
        ]
    )
    assert call.status is CallStatus.ANSWERED and call.answered_by == "2005"
    assert [(leg.extension, leg.status) for leg in call.legs] == [
        ("2006", LegStatus.NO_ANSWER),
        ("2005", LegStatus.ANSWERED),
    ]


def test_inbound_ring_timeout_is_a_missed_call() -> None:
    call = call_of(
        [
            state(inbound("ALERT"), ext("2007", "RING")),
            state(ext("2007", "BYE")),
            state(inbound("BYE")),
            cdr("NO ANSWER", "Inbound", "0821234567", "2007"),
        ]
    )
    assert call.status is CallStatus.NO_ANSWER
    assert call.legs[0].status is LegStatus.NO_ANSWER and call.legs[0].ring_seconds == 1.0


def test_caller_giving_up_while_ringing_is_abandoned() -> None:
    call = call_of(
        [
            state(inbound("ALERT"), ext("2005", "RING"), ext("2006", "RING")),
            state(inbound("BYE"), ext("2005", "BYE"), ext("2006", "BYE")),
        ]
    )
    assert call.status is CallStatus.ABANDONED
    assert {leg.status for leg in call.legs} == {LegStatus.CANCELLED}


def test_busy_extension_reported_as_a_failed_call() -> None:
    call = call_of(
        [
            state(inbound("ALERT")),
            state(ext("2008", "BYE"), inbound("BYE"), topic=30015, reason="486 Busy Here"),
            cdr("busy", "inbound", "0821234567", "2008"),
        ]
    )
    assert call.status is CallStatus.BUSY
    assert call.hangup_cause == "486 Busy Here"


def test_outbound_answered_call() -> None:
    call = call_of(
        [
            state(ext("2005", "ALERT")),
            state(ext("2005", "ALERT"), outbound("RING")),
            state(ext("2005", "ANSWERED"), outbound("ANSWER")),
            state(ext("2005", "BYE"), outbound("BYE")),
            cdr("ANSWERED", "Outbound", "2005", "0215551234", talk=3),
        ]
    )
    assert call.direction is Direction.OUTBOUND
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2005"
    assert (call.caller.number, call.callee.number) == ("2005", "+27215551234")
    assert call.legs == []


def test_outbound_unanswered_call() -> None:
    call = call_of(
        [
            state(ext("2005", "ALERT")),
            state(outbound("RING")),
            state(ext("2005", "BYE"), outbound("BYE")),
            cdr("NO ANSWER", "OUTBOUND", "2005", "0215551234"),
        ]
    )
    assert call.status is CallStatus.NO_ANSWER and call.answered_by is None


def test_internal_call() -> None:
    call = call_of(
        [
            state(ext("2005", "ALERT"), ext("2006", "RING")),
            state(ext("2005", "ANSWERED"), ext("2006", "ANSWER")),
            state(ext("2005", "BYE"), ext("2006", "BYE")),
        ]
    )
    assert call.direction is Direction.INTERNAL
    assert call.status is CallStatus.ANSWERED and call.answered_by == "2006"


def test_forward_and_transfer_are_recorded() -> None:
    call = call_of(
        [
            state(inbound("ALERT"), ext("2005", "RING")),
            state(ext("2005", "BYE"), ext("2009", "RING", "PJSIP/2009-1"), topic=30014),
            state(topic=30013, transferor="2009", transfer_to="2010"),
            state(inbound("BYE")),
        ]
    )
    assert [(t.kind, t.to) for t in call.transfers] == [("forward", "2009"), ("blind", "2010")]


def test_redelivered_events_are_dropped_even_after_a_restart() -> None:
    frames = [
        state(inbound("ALERT"), ext("2005", "RING")),
        state(inbound("BYE"), ext("2005", "BYE")),
    ]
    first = translate_all(frames)
    again = translate_all(frames)  # a fresh translator, as after a restart
    assert [e.key for e in first] == [e.key for e in again]
    tracker = CallTracker()
    assert all(tracker.apply(e) is not None for e in first)
    assert all(tracker.apply(e) is None for e in again)
    same_translator = translator()
    translate_all(frames, same_translator)
    assert translate_all(frames, same_translator) == []


def test_events_round_trip_through_storage_json() -> None:
    from deskline.calls.events import parse_event

    events = translate_all([state(inbound("ALERT"), ext("2005", "RING")), REAL_30012])
    assert [parse_event(e.model_dump(mode="json")) for e in events] == events


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ANSWERD", CallStatus.ANSWERED),
        ("answered", CallStatus.ANSWERED),
        ("No Answer", CallStatus.NO_ANSWER),
        ("BUSY", CallStatus.BUSY),
        ("VoiceMail", CallStatus.VOICEMAIL),
        ("weird", None),
        ("", None),
    ],
)
def test_cdr_status_quirks(raw: str, expected: CallStatus | None) -> None:
    assert cdr_status(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Outbound", Direction.OUTBOUND),
        ("INBOUND", Direction.INBOUND),
        ("internal", Direction.INTERNAL),
        ("x", None),
    ],
)
def test_cdr_type_is_lower_cased(raw: str, expected: Direction | None) -> None:
    assert cdr_direction(raw) is expected


def test_unusable_cdr_fields_are_payload_errors() -> None:
    with pytest.raises(EventPayloadError, match="time_start"):
        translate_all([cdr("BUSY", "Inbound", "1", "2", time_start="yesterday")])
    with pytest.raises(EventPayloadError, match="talk_duration"):
        translate_all([cdr("BUSY", "Inbound", "1", "2", talk_duration="long")])


def test_envelope_accepts_an_already_decoded_msg() -> None:
    event = decode_event({"type": "30011", "sn": "X", "msg": {"call_id": "1.2", "members": []}})
    assert (event.type, event.call_id) == (30011, "1.2")
