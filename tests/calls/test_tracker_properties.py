"""Shuffled and duplicated events of a real capture still give the same calls."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskline.calls.events import CallEvent
from deskline.calls.model import Call
from deskline.calls.tracker import CallTracker
from deskline.pbx.asterisk.dialplan import Dialplan
from deskline.pbx.asterisk.replay import read_frames, translate_frames
from tests.conftest import AMI_CAPTURES

CAPTURES = [
    "01_direct_answered.txt",
    "02_queue_answered.txt",
    "03_no_answer.txt",
    "04_busy.txt",
    "05_queue_timeout.txt",
    "06_caller_hangup_midcall.txt",
    "07_queue_caller_abandon.txt",
    "08_blind_transfer.txt",
    "09_click_to_call_outbound.txt",
    "10_action_responses.txt",
]


@cache
def capture_events(name: str) -> tuple[CallEvent, ...]:
    frames, _ = read_frames((AMI_CAPTURES / name).read_bytes())
    return tuple(translate_frames(frames, Dialplan()))


def fold(events: list[CallEvent] | tuple[CallEvent, ...]) -> dict[str, Call]:
    tracker = CallTracker()
    for event in events:
        tracker.apply(event)
    return {update.call.call_id: update.call for update in tracker.finalise_all()}


def outcome(call: Call) -> tuple[object, ...]:
    """What a user sees of a call: status, who, how long, legs and transfers."""
    return (
        call.status,
        call.direction,
        call.caller.number,
        call.callee.number,
        call.queue,
        call.queue_outcome,
        call.answered_by,
        call.talk_seconds,
        Counter((leg.extension, leg.status) for leg in call.legs),
        [(t.from_extension, t.to) for t in call.transfers],
        call.recording,
    )


@pytest.mark.parametrize("name", CAPTURES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_order_and_duplicates_do_not_change_the_calls(name: str, data: st.DataObject) -> None:
    events = capture_events(name)
    expected = {call_id: outcome(call) for call_id, call in fold(events).items()}
    order = data.draw(st.permutations(range(len(events))), label="order")
    repeats = data.draw(st.lists(st.integers(0, len(events) - 1), max_size=8), label="repeats")
    stream = [events[i] for i in order] + [events[i] for i in repeats]
    data.draw(st.randoms(use_true_random=False), label="mix").shuffle(stream)
    got = {call_id: outcome(call) for call_id, call in fold(stream).items()}
    assert got == expected


@pytest.mark.parametrize("name", CAPTURES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_preview_is_what_applying_the_batch_does_and_leaves_the_tracker_alone(
    name: str, data: st.DataObject
) -> None:
    events = list(capture_events(name))
    order = data.draw(st.permutations(range(len(events))), label="order")
    stream = [events[i] for i in order]
    cut = data.draw(st.integers(0, len(stream)), label="already applied")
    size = data.draw(st.integers(1, 6), label="batch size")
    tracker = CallTracker(settle_seconds=0)
    for event in stream[:cut]:
        tracker.apply(event)
    batch = stream[cut : cut + size] + stream[max(0, cut - 2) : cut]  # with redeliveries
    before = {call.call_id: call for call in tracker.in_flight()}
    ended_before = {e.call_id: tracker.get(e.call_id) for e in batch}

    previewed = tracker.preview(batch)

    assert {call.call_id: call for call in tracker.in_flight()} == before
    assert {e.call_id: tracker.get(e.call_id) for e in batch} == ended_before
    applied = [update for event in batch if (update := tracker.apply(event)) is not None]
    assert previewed == applied


@pytest.mark.parametrize("name", CAPTURES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_rollback_puts_the_calls_back_as_they_were_at_the_checkpoint(
    name: str, data: st.DataObject
) -> None:
    events = list(capture_events(name))
    cut = data.draw(st.integers(0, len(events)), label="already applied")
    size = data.draw(st.integers(1, 6), label="batch size")
    tracker = CallTracker(settle_seconds=0)
    for event in events[:cut]:
        tracker.apply(event)
    batch = events[cut : cut + size]
    call_ids = {event.call_id for event in batch}
    before = {call_id: tracker.get(call_id) for call_id in call_ids}
    in_flight = {call.call_id: call for call in tracker.in_flight()}

    checkpoint = tracker.checkpoint(call_ids)
    expected = [tracker.apply(event) for event in batch]
    tracker.rollback(checkpoint)

    assert {call_id: tracker.get(call_id) for call_id in call_ids} == before
    assert {call.call_id: call for call in tracker.in_flight()} == in_flight
    assert [tracker.apply(event) for event in batch] == expected  # applies afresh, the same
