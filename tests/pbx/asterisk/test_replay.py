"""Replaying the eleven reference captures gives the calls that really happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskline.calls.model import Call, CallStatus, Direction, LegStatus, QueueOutcome
from deskline.pbx.asterisk.replay import CaptureError, replay, replay_file
from tests.fakes.ami_server import capture_wire


def only_call(captures: Path, name: str) -> Call:
    result = replay_file(captures / name)
    assert len(result.calls) == 1, [c.summary() for c in result.calls]
    return result.calls[0]


def legs(call: Call) -> list[tuple[str, LegStatus, float | None]]:
    return [
        (leg.extension, leg.status, None if leg.ring_seconds is None else round(leg.ring_seconds))
        for leg in call.legs
    ]


def test_01_direct_call_answered(ami_captures: Path) -> None:
    call = only_call(ami_captures, "01_direct_answered.txt")
    assert call.call_id == "1795286098.0"
    assert call.direction is Direction.INBOUND
    assert (call.caller.number, call.caller.name) == ("+15551234567", "Customer One")
    assert call.callee.number == "1001" and call.did == "1001"
    assert call.queue is None
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2005"
    assert call.talk_seconds == 2
    assert legs(call) == [("2005", LegStatus.ANSWERED, 1)]
    assert call.transfers == []
    assert call.recording == "/var/spool/asterisk/monitor/1795286098.1.wav"
    assert call.has_cdr


def test_02_queue_call_is_one_call_with_a_leg_per_agent(ami_captures: Path) -> None:
    call = only_call(ami_captures, "02_queue_answered.txt")
    assert (call.caller.number, call.caller.name) == ("+15557654321", "Customer Two")
    assert call.did == "1002"
    assert call.queue == "support"
    assert call.queue_outcome is QueueOutcome.ANSWERED
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2005"
    assert call.talk_seconds == 2
    assert legs(call) == [("2006", LegStatus.NO_ANSWER, 4), ("2005", LegStatus.ANSWERED, 1)]
    assert [leg.name for leg in call.legs] == ["Agent 2006", "Agent 2005"]
    assert call.recording == "/var/spool/asterisk/monitor/1795286116.5.wav"


def test_03_no_answer(ami_captures: Path) -> None:
    call = only_call(ami_captures, "03_no_answer.txt")
    assert call.direction is Direction.INBOUND
    assert call.did == "1003"
    assert call.status is CallStatus.NO_ANSWER
    assert call.answered_by is None and call.answered_at is None
    assert call.talk_seconds == 0
    assert legs(call) == [("2007", LegStatus.NO_ANSWER, 5)]


def test_04_busy(ami_captures: Path) -> None:
    call = only_call(ami_captures, "04_busy.txt")
    assert call.did == "1004"
    assert call.status is CallStatus.BUSY
    assert legs(call) == [("2008", LegStatus.BUSY, 0)]


def test_05_queue_timeout_is_no_answer_not_abandon(ami_captures: Path) -> None:
    call = only_call(ami_captures, "05_queue_timeout.txt")
    assert call.queue == "noanswer"
    assert call.queue_outcome is QueueOutcome.TIMEOUT
    assert call.status is CallStatus.NO_ANSWER
    assert legs(call) == [("2007", LegStatus.NO_ANSWER, 3), ("2007", LegStatus.NO_ANSWER, 3)]


def test_06_caller_hangs_up_mid_call(ami_captures: Path) -> None:
    call = only_call(ami_captures, "06_caller_hangup_midcall.txt")
    assert (call.caller.number, call.caller.name) == ("+15550001111", "Customer Three")
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2009"
    assert call.talk_seconds == 3
    assert legs(call) == [("2009", LegStatus.ANSWERED, 0)]


def test_07_caller_abandons_the_queue(ami_captures: Path) -> None:
    call = only_call(ami_captures, "07_queue_caller_abandon.txt")
    assert call.caller.number == "+15550001111"
    assert call.queue == "noanswer"
    assert call.queue_outcome is QueueOutcome.ABANDONED
    assert call.status is CallStatus.ABANDONED
    assert legs(call) == [("2007", LegStatus.CANCELLED, 2)]


def test_08_blind_transfer_stays_one_call(ami_captures: Path) -> None:
    call = only_call(ami_captures, "08_blind_transfer.txt")
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2009"  # who took the call; the final agent is the last leg
    assert legs(call) == [("2009", LegStatus.ANSWERED, 0), ("2005", LegStatus.ANSWERED, 1)]
    assert [(t.kind, t.from_extension, t.to, t.result) for t in call.transfers] == [
        ("blind", "2009", "2005", "Success")
    ]
    assert call.talk_seconds == 6


def test_09_click_to_call_is_outbound_from_the_agent(ami_captures: Path) -> None:
    call = only_call(ami_captures, "09_click_to_call_outbound.txt")
    assert call.direction is Direction.OUTBOUND
    assert (call.caller.number, call.caller.is_extension) == ("2009", True)
    assert call.callee.number == "+15551234567"
    assert call.did is None
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2009"
    assert call.talk_seconds == 3  # from the customer's answer, not the agent's
    assert legs(call) == [("2009", LegStatus.ANSWERED, 0)]
    assert call.recording == "/var/spool/asterisk/monitor/1795286238.46.wav"


def test_10_action_responses_do_not_confuse_the_tracker(ami_captures: Path) -> None:
    result = replay_file(ami_captures / "10_action_responses.txt")
    assert [c.call_id for c in result.calls] == ["1795286249.50"]
    call = result.calls[0]
    assert (call.caller.number, call.caller.name) == ("+15559998888", "Customer Four")
    assert call.queue == "support"
    assert call.status is CallStatus.ANSWERED
    assert legs(call) == [("2006", LegStatus.NO_ANSWER, 4), ("2005", LegStatus.ANSWERED, 1)]


def test_11_login_failure_has_no_calls(ami_captures: Path) -> None:
    result = replay_file(ami_captures / "11_login_failure.txt")
    assert result.calls == []
    assert result.login_error == "Authentication failed"


@pytest.mark.parametrize(
    "name", ["01_direct_answered.txt", "02_queue_answered.txt", "08_blind_transfer.txt"]
)
def test_a_plain_ami_dump_replays_like_the_capture(ami_captures: Path, name: str) -> None:
    from_capture = replay_file(ami_captures / name).calls
    from_dump = replay(capture_wire(name)).calls
    assert [c.summary() for c in from_dump] == [c.summary() for c in from_capture]


def test_a_file_without_ami_frames_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\x00\x01 this is not AMI\n\xff\xfe\n")
    with pytest.raises(CaptureError, match="no AMI frames"):
        replay_file(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="cannot read"):
        replay_file(tmp_path / "missing.txt")
