"""The AMI frame parser and action serializer."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskline.pbx.asterisk.protocol import Frame, FrameParser, parse_frames, serialize_action
from tests.fakes.ami_server import capture_chunks, capture_wire, wire


def test_frames_end_at_a_blank_line_with_either_line_ending() -> None:
    crlf = b"Event: Hangup\r\nUniqueid: 1.2\r\nCause-txt: Normal Clearing\r\n\r\n"
    lf = crlf.replace(b"\r\n", b"\n")
    for data in (crlf, lf):
        (frame,) = FrameParser().feed(data)
        assert frame.event == "Hangup"
        assert frame.get("uniqueid") == "1.2"  # keys are case-insensitive
        assert frame.value("Cause-txt") == "Normal Clearing"


def test_the_banner_is_read_and_not_a_frame() -> None:
    parser = FrameParser()
    frames = parser.feed(b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nPing: Pong\r\n\r\n")
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert [f.response for f in frames] == ["Success"]


def test_values_keep_their_colons_and_empty_values_stay_empty() -> None:
    (frame,) = FrameParser().feed(
        b"Event: SuccessfulAuth\r\nEventTV: 2026-11-21T18:34:57.606+0000\r\n"
        b"AppData: Local/2005@agents/n,20\r\nAccountCode: \r\nLastData:\r\n\r\n"
    )
    assert frame.value("EventTV") == "2026-11-21T18:34:57.606+0000"
    assert frame.value("AppData") == "Local/2005@agents/n,20"
    assert frame.get("AccountCode") == "" and frame.get("LastData") == ""
    assert frame.get("Missing") is None


def test_repeated_keys_are_kept_in_order() -> None:
    (frame,) = FrameParser().feed(
        b"Response: Success\r\nMessage: Command output follows\r\n"
        b"Output: line one\r\nOutput: line two: with colon\r\n\r\n"
    )
    assert frame.get_all("Output") == ["line one", "line two: with colon"]
    assert frame.get("Output") == "line one"


def test_old_style_command_output_is_collected() -> None:
    (frame,) = FrameParser().feed(
        b"Response: Follows\r\nPrivilege: Command\r\nName  Location  State\r\n"
        b"2005  Local     Idle\r\n--END COMMAND--\r\n\r\n"
    )
    assert frame.get_all("Output") == ["Name  Location  State", "2005  Local     Idle"]


def test_byte_by_byte_feeding_gives_the_same_frames_as_one_chunk() -> None:
    data = capture_wire("02_queue_answered.txt")
    whole = FrameParser().feed(data)
    parser = FrameParser()
    pieces = [frame for i in range(len(data)) for frame in parser.feed(data[i : i + 1])]
    assert pieces == whole
    assert len(whole) == len(capture_chunks("02_queue_answered.txt"))


def test_garbage_lines_are_logged_with_context_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    parser = FrameParser(source="test-pbx")
    with caplog.at_level(logging.WARNING):
        frames = parser.feed(b"Event: Newchannel\r\n\x00\x01 binary junk\r\nUniqueid: 9.1\r\n\r\n")
    (frame,) = frames
    assert frame.event == "Newchannel" and frame.value("Uniqueid") == "9.1"
    assert parser.skipped_lines == 1
    assert "test-pbx line 2 skipped" in caplog.text and "binary junk" in caplog.text


def test_a_frame_cut_off_by_the_next_one_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    parser = FrameParser()
    with caplog.at_level(logging.WARNING):
        frames = parser.feed(
            b"Event: Hangup\r\nChannel: PJSIP/20\r\nEvent: Newchannel\r\nUniqueid: 3\r\n\r\n"
        )
    assert [f.event for f in frames] == ["Newchannel"]
    assert parser.dropped_frames == 1
    assert "frame dropped" in caplog.text and "Event: Hangup" in caplog.text


def test_an_originate_response_event_is_not_taken_for_a_cut_off_frame() -> None:
    (frame,) = FrameParser().feed(
        b"Event: OriginateResponse\r\nActionID: c2c-1\r\nResponse: Success\r\nReason: 4\r\n\r\n"
    )
    assert frame.event == "OriginateResponse" and frame.response == "Success"


def test_the_end_of_the_stream_inside_a_frame_drops_it(caplog: pytest.LogCaptureFixture) -> None:
    parser = FrameParser()
    assert parser.feed(b"Event: Hangup\r\nUniqueid: 1.2\r\nCau") == []
    with caplog.at_level(logging.WARNING):
        assert parser.close() == []
    assert parser.dropped_frames == 1
    assert "the stream ended inside a frame" in caplog.text


def test_an_endless_line_is_dropped_instead_of_growing_the_buffer() -> None:
    parser = FrameParser()
    assert parser.feed(b"Event: " + b"x" * 70_000) == []
    assert parser.skipped_lines == 1
    (frame,) = parser.feed(b"\r\n\r\nEvent: Ping\r\n\r\n")
    assert frame.event == "Ping"


def test_parse_frames_reads_a_whole_dump_even_without_the_last_blank_line() -> None:
    frames = list(parse_frames(b"Response: Success\r\nActionID: 1\r\n\r\nEvent: FullyBooted\r\n"))
    assert [f.response or f.event for f in frames] == ["Success", "FullyBooted"]


def test_actions_are_serialized_with_crlf_and_repeated_keys() -> None:
    data = serialize_action(
        "Originate",
        {"ActionID": "c2c-1", "Channel": "Local/2009@agents/n", "Variable": ["A=1", "B=2"]},
    )
    assert data == (
        b"Action: Originate\r\nActionID: c2c-1\r\nChannel: Local/2009@agents/n\r\n"
        b"Variable: A=1\r\nVariable: B=2\r\n\r\n"
    )
    (frame,) = FrameParser().feed(data)
    assert frame.get("Action") == "Originate" and frame.get_all("Variable") == ["A=1", "B=2"]


@pytest.mark.parametrize(
    "fields", [{"Exten": "123\r\nAction: Hangup"}, {"Variable": ["X=1\nY"]}, {"Bad Key": "1"}]
)
def test_values_that_would_inject_lines_are_refused(fields: dict[str, str | list[str]]) -> None:
    with pytest.raises(ValueError, match=r"line breaks|invalid AMI key"):
        serialize_action("Originate", fields)


def test_a_captured_frame_keeps_every_field_in_order() -> None:
    chunk = capture_chunks("09_click_to_call_outbound.txt")[3]
    (frame,) = FrameParser().feed(wire(chunk))
    lines = [line.partition(":") for line in chunk.split("\n")]
    assert list(frame.items) == [(key, value.removeprefix(" ")) for key, _, value in lines]


@given(st.binary(max_size=2000), st.integers(min_value=1, max_value=64))
def test_arbitrary_bytes_never_raise(data: bytes, step: int) -> None:
    parser = FrameParser()
    frames = [f for i in range(0, len(data), step) for f in parser.feed(data[i : i + step])]
    parser.close()
    assert all(isinstance(frame, Frame) and frame.items for frame in frames)
