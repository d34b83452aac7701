"""The call tracker: duplicates, disorder, gaps, settling, staleness and restarts."""

from __future__ import annotations

from datetime import datetime

from deskline.calls.model import CallPhase, CallStatus, Direction, LegStatus, QueueOutcome
from deskline.calls.tracker import CallTracker
from tests.calls.builders import (
    answered,
    at,
    call_answered,
    cdr,
    hung_up,
    leg_ended,
    offered,
    queue_entered,
    queue_left,
    recording,
    ringing,
    transferred,
)


def test_an_event_seen_twice_is_dropped() -> None:
    tracker = CallTracker()
    assert tracker.apply(ringing(1, "2005", key="ring-1")) is not None
    assert tracker.apply(ringing(9, "2006", key="ring-1")) is None
    call = tracker.get("c1")
    assert call is not None and [leg.extension for leg in call.legs] == ["2005"]


def test_events_of_one_call_in_any_order_make_the_same_call() -> None:
    events = [
        offered(0),
        ringing(1, "2005", leg_id="L1"),
        answered(3, "2005", leg_id="L1"),
        leg_ended(10, "2005", LegStatus.ANSWERED, leg_id="L1"),
        hung_up(10),
    ]
    in_order, reversed_order = CallTracker(), CallTracker()
    for event in events:
        in_order.apply(event)
    for event in reversed(events):
        reversed_order.apply(event)
    first, second = in_order.finalise_all()[0].call, reversed_order.finalise_all()[0].call
    assert first.summary() == second.summary()
    assert first.status is CallStatus.ANSWERED
    assert first.answered_by == "2005"
    assert first.talk_seconds == 7
    assert first.legs[0].ring_seconds == 2


def test_an_answer_without_its_ring_still_answers_the_call() -> None:
    tracker = CallTracker()
    tracker.apply(offered(0))
    update = tracker.apply(answered(4, "2005"))
    assert update is not None and update.changed and not update.ended
    assert update.call.phase is CallPhase.TALKING
    assert update.call.answered_by == "2005"
    assert update.call.legs[0].ring_started_at is None


def test_a_hangup_without_any_ring_is_an_abandoned_inbound_call() -> None:
    tracker = CallTracker(settle_seconds=3)
    tracker.apply(hung_up(5))
    tracker.apply(offered(0))  # arrives late
    (update,) = tracker.finalise_due(at(8))
    assert update.ended
    assert update.call.status is CallStatus.ABANDONED
    assert update.call.direction is Direction.INBOUND
    assert update.call.caller.number == "+15551234567"


def test_an_internal_call_that_nobody_answered_and_nobody_rang_failed() -> None:
    tracker = CallTracker()
    tracker.apply(offered(0, direction=Direction.INTERNAL, caller="2005", callee="2006"))
    tracker.apply(hung_up(1))
    assert tracker.finalise_all()[0].call.status is CallStatus.FAILED


def test_missed_is_decided_after_the_settle_delay_and_late_leg_ends_count() -> None:
    tracker = CallTracker(settle_seconds=3)
    tracker.apply(offered(0))
    tracker.apply(ringing(0.5, "2007", leg_id="L1"))
    tracker.apply(hung_up(5))
    assert tracker.finalise_due(at(7)) == []
    tracker.apply(leg_ended(5.5, "2007", LegStatus.NO_ANSWER, leg_id="L1"))
    (update,) = tracker.finalise_due(at(8))
    assert update.call.status is CallStatus.NO_ANSWER
    assert update.call.legs[0].ring_seconds == 5
    assert tracker.in_flight() == []


def test_the_status_never_flips_after_it_was_decided() -> None:
    tracker = CallTracker(settle_seconds=1)
    tracker.apply(offered(0))
    tracker.apply(ringing(1, "2007", leg_id="L1"))
    tracker.apply(leg_ended(6, "2007", LegStatus.NO_ANSWER, leg_id="L1"))
    tracker.apply(hung_up(6))
    (decided,) = tracker.finalise_due(at(10))
    assert decided.call.status is CallStatus.NO_ANSWER
    late = tracker.apply(answered(3, "2007", leg_id="L1"))
    assert late is not None and not late.changed and not late.ended
    assert late.call.status is CallStatus.NO_ANSWER and late.call.answered_by is None
    with_recording = tracker.apply(recording(11, "/rec/c1.wav"))
    assert with_recording is not None and with_recording.changed and not with_recording.ended
    assert with_recording.call.recording == "/rec/c1.wav"
    assert with_recording.call.status is CallStatus.NO_ANSWER
    assert tracker.finalise_due(at(100)) == []


def test_a_partial_cdr_before_the_hangup_merges_and_waits() -> None:
    tracker = CallTracker(settle_seconds=3)
    tracker.apply(offered(0))
    tracker.apply(ringing(1, "2007", leg_id="L1"))
    before = tracker.apply(cdr(6, complete=False, talk_seconds=0, ended_at=at(6)))
    assert before is not None and not before.ended and before.call.has_cdr
    assert before.call.phase is CallPhase.RINGING
    tracker.apply(leg_ended(6, "2007", LegStatus.NO_ANSWER, leg_id="L1"))
    update = tracker.apply(hung_up(6.1))
    assert update is not None and not update.ended
    (decided,) = tracker.finalise_due(at(9.1))
    assert decided.call.status is CallStatus.NO_ANSWER
    assert decided.call.ended_at == at(6.1)


def test_a_complete_cdr_before_the_hangup_event_is_the_final_word() -> None:
    tracker = CallTracker(settle_seconds=3)
    tracker.apply(offered(0))
    update = tracker.apply(cdr(8, status=CallStatus.NO_ANSWER, ended_at=at(7)))
    assert update is not None and update.ended
    assert update.call.status is CallStatus.NO_ANSWER
    late = tracker.apply(hung_up(9))
    assert late is not None and not late.ended and late.call.status is CallStatus.NO_ANSWER


def test_a_complete_cdr_after_the_hangup_decides_at_once() -> None:
    tracker = CallTracker(settle_seconds=3)
    tracker.apply(offered(0))
    tracker.apply(answered(2, "2005"))
    tracker.apply(hung_up(9))
    update = tracker.apply(cdr(9.5, status=CallStatus.ANSWERED))
    assert update is not None and update.ended
    assert update.call.status is CallStatus.ANSWERED
    assert update.call.phase is CallPhase.ENDED


def test_a_partial_cdr_after_the_hangup_waits_for_the_settle_delay() -> None:
    tracker = CallTracker(settle_seconds=3)
    tracker.apply(offered(0))
    tracker.apply(hung_up(9))
    update = tracker.apply(cdr(9.5, complete=False, started_at=at(-1)))
    assert update is not None and not update.ended
    assert update.call.started_at == at(0)  # live events win over the CDR's coarse times
    assert len(tracker.finalise_due(at(12))) == 1


def test_a_complete_cdr_alone_ends_a_call_whose_hangup_was_lost() -> None:
    tracker = CallTracker()
    tracker.apply(offered(0))
    tracker.apply(leg_ended(0.5, "2008", LegStatus.BUSY))
    update = tracker.apply(cdr(30, status=CallStatus.BUSY, ended_at=at(29)))
    assert update is not None and update.ended
    assert update.call.status is CallStatus.BUSY
    assert update.call.ended_at == at(29)


def test_a_cdr_voicemail_status_beats_unanswered_legs() -> None:
    tracker = CallTracker()
    tracker.apply(offered(0))
    tracker.apply(leg_ended(20, "2005", LegStatus.NO_ANSWER))
    tracker.apply(hung_up(50))
    update = tracker.apply(cdr(51, status=CallStatus.VOICEMAIL))
    assert update is not None and update.call.status is CallStatus.VOICEMAIL


def test_a_call_silent_for_too_long_ends_as_failed() -> None:
    tracker = CallTracker(stale_after_seconds=60)
    tracker.apply(offered(0))
    tracker.apply(ringing(1, "2005"))
    assert tracker.finalise_due(at(60)) == []
    (update,) = tracker.finalise_due(at(61))
    assert update.ended and update.call.status is CallStatus.FAILED
    assert update.call.ended_at == at(1)
    assert update.call.legs[0].status is LegStatus.CANCELLED


def test_restore_after_a_restart_keeps_the_call_and_its_seen_events() -> None:
    before = CallTracker()
    before.apply(offered(0, key="offer"))
    before.apply(ringing(1, "2005", leg_id="L1", key="ring"))
    saved = before.apply(answered(2, "2005", leg_id="L1", key="answer"))
    assert saved is not None

    after = CallTracker(settle_seconds=3)
    after.restore(saved.call, seen_keys=["offer", "ring", "answer"])
    assert after.apply(answered(2, "2005", leg_id="L1", key="answer")) is None
    assert [c.call_id for c in after.in_flight()] == ["c1"]
    # events of channels the new process never saw still fold into the restored call
    after.apply(leg_ended(12, "2005", LegStatus.ANSWERED, leg_id="L1", key="end"))
    after.apply(hung_up(12, key="hangup"))
    (update,) = after.finalise_due(at(15))
    assert update.call.status is CallStatus.ANSWERED
    assert update.call.answered_by == "2005"
    assert update.call.talk_seconds == 10


def test_restore_of_a_decided_call_keeps_its_status() -> None:
    first = CallTracker()
    first.apply(offered(0))
    first.apply(hung_up(1))
    (decided,) = first.finalise_all()
    second = CallTracker()
    second.restore(decided.call, seen_keys=[])
    update = second.apply(answered(0.5, "2005"))
    assert update is not None and update.call.status is CallStatus.ABANDONED
    assert second.in_flight() == []


def test_queue_timeout_beats_the_abandon_that_asterisk_also_reports() -> None:
    for order in (1, -1):
        tracker = CallTracker()
        events = [
            offered(0),
            queue_entered(0.1),
            leg_ended(3, "2007", LegStatus.NO_ANSWER),
            queue_left(8, QueueOutcome.ABANDONED),
            queue_left(8.1, QueueOutcome.TIMEOUT),
            hung_up(8.2),
        ][::order]
        for event in events:
            tracker.apply(event)
        call = tracker.finalise_all()[0].call
        assert call.queue_outcome is QueueOutcome.TIMEOUT
        assert call.status is CallStatus.NO_ANSWER


def test_a_real_queue_abandon_is_abandoned() -> None:
    tracker = CallTracker()
    for event in [
        offered(0),
        queue_entered(0),
        ringing(0.1, "2007"),
        queue_left(2, QueueOutcome.ABANDONED),
        hung_up(2),
    ]:
        tracker.apply(event)
    assert tracker.finalise_all()[0].call.status is CallStatus.ABANDONED


def test_busy_legs_make_a_busy_call_and_a_no_answer_leg_wins() -> None:
    busy = CallTracker()
    for event in [offered(0), leg_ended(0.1, "2008", LegStatus.BUSY), hung_up(0.2)]:
        busy.apply(event)
    assert busy.finalise_all()[0].call.status is CallStatus.BUSY
    mixed = CallTracker()
    for event in [
        offered(0),
        leg_ended(0.1, "2008", LegStatus.BUSY),
        leg_ended(5, "2007", LegStatus.NO_ANSWER),
        hung_up(5),
    ]:
        mixed.apply(event)
    assert mixed.finalise_all()[0].call.status is CallStatus.NO_ANSWER


def test_the_earliest_end_of_a_leg_wins() -> None:
    tracker = CallTracker()
    tracker.apply(ringing(0, "2006", leg_id="L1"))
    tracker.apply(leg_ended(4.0001, "2006", LegStatus.CANCELLED, leg_id="L1"))
    tracker.apply(leg_ended(4.0, "2006", LegStatus.NO_ANSWER, leg_id="L1", ring_seconds=4))
    call = tracker.get("c1")
    assert call is not None and call.legs[0].status is LegStatus.NO_ANSWER
    assert call.legs[0].ring_seconds == 4


def test_an_extension_rung_twice_has_two_legs_even_without_leg_ids() -> None:
    tracker = CallTracker()
    for event in [
        ringing(0, "2007"),
        leg_ended(3, "2007", LegStatus.NO_ANSWER),
        ringing(4, "2007"),
        leg_ended(7, "2007", LegStatus.NO_ANSWER),
    ]:
        tracker.apply(event)
    call = tracker.get("c1")
    assert call is not None
    assert [(leg.status, leg.ring_seconds) for leg in call.legs] == [
        (LegStatus.NO_ANSWER, 3),
        (LegStatus.NO_ANSWER, 3),
    ]


def test_outbound_is_answered_only_when_the_called_party_answers() -> None:
    events = [
        ringing(0, "2009", leg_id="A"),
        answered(1, "2009", leg_id="A"),  # the agent took the click-to-call ring
        offered(1.1, direction=Direction.OUTBOUND, caller="2009", callee="+15551234567"),
    ]
    busy = CallTracker()
    for event in [*events, hung_up(5, status=CallStatus.BUSY)]:
        busy.apply(event)
    call = busy.finalise_all()[0].call
    assert call.status is CallStatus.BUSY
    assert call.answered_at is None and call.answered_by is None

    talked = CallTracker()
    for event in [*events, call_answered(3, by="2009"), hung_up(9)]:
        talked.apply(event)
    call = talked.finalise_all()[0].call
    assert call.status is CallStatus.ANSWERED
    assert call.answered_by == "2009"
    assert call.talk_seconds == 6


def test_answered_by_is_the_first_agent_after_a_transfer() -> None:
    tracker = CallTracker()
    for event in [
        offered(0),
        ringing(0.1, "2009", leg_id="A"),
        answered(0.2, "2009", leg_id="A"),
        transferred(3, "2009", "2005"),
        leg_ended(3.1, "2009", LegStatus.ANSWERED, leg_id="A"),
        ringing(3.2, "2005", leg_id="B"),
        answered(4, "2005", leg_id="B"),
        hung_up(6),
    ]:
        tracker.apply(event)
    call = tracker.finalise_all()[0].call
    assert call.answered_by == "2009"
    assert [t.to for t in call.transfers] == ["2005"]
    assert call.legs[-1].extension == "2005"


def test_updates_hand_out_copies() -> None:
    tracker = CallTracker()
    update = tracker.apply(ringing(0, "2005"))
    assert update is not None
    update.call.legs.clear()
    update.call.status = CallStatus.BUSY
    call = tracker.get("c1")
    assert call is not None and len(call.legs) == 1 and call.status is None


def test_naive_event_times_are_taken_as_utc() -> None:
    tracker = CallTracker()
    tracker.apply(offered(0))
    naive = hung_up(0).model_copy(update={"at": datetime(2026, 11, 21, 18, 0, 5), "key": "naive"})
    update = tracker.apply(naive)
    assert update is not None and update.call.ended_at == at(5)


def test_finalise_all_decides_every_call_in_flight() -> None:
    tracker = CallTracker()
    tracker.apply(offered(0, call_id="a"))
    tracker.apply(answered(1, "2005", call_id="b"))
    updates = {u.call.call_id: u for u in tracker.finalise_all()}
    assert set(updates) == {"a", "b"}
    assert all(u.ended for u in updates.values())
    assert updates["b"].call.status is CallStatus.ANSWERED
    assert tracker.in_flight() == []
    assert tracker.get("a") is not None


def test_a_preview_shows_what_apply_would_do_and_changes_nothing() -> None:
    tracker = CallTracker(settle_seconds=0)
    tracker.apply(offered(0, key="offer"))
    tracker.apply(ringing(1, "2005", key="ring-2005"))
    before = tracker.get("c1")
    batch = [
        ringing(1, "2005", key="ring-2005"),  # a duplicate: no update
        answered(4, "2005"),
        ringing(0, "2010", call_id="c2"),  # a call the tracker does not know yet
        leg_ended(30, "2005", LegStatus.ANSWERED),
        hung_up(30),
        cdr(31, status=CallStatus.ANSWERED),
    ]

    previewed = tracker.preview(batch)

    assert tracker.get("c1") == before  # the tracker itself did not move
    assert tracker.get("c2") is None
    assert tracker.in_flight() == [before]
    applied = [update for event in batch if (update := tracker.apply(event)) is not None]
    assert previewed == applied  # the same updates, in the same order
    assert [u.call.call_id for u in previewed] == ["c1", "c2", "c1", "c1", "c1"]
    assert previewed[-1].ended and previewed[-1].call.status is CallStatus.ANSWERED


def test_a_preview_of_an_ended_call_keeps_the_ended_calls_remembered() -> None:
    tracker = CallTracker(settle_seconds=0, keep_ended=2)
    for call_id in ("a", "b"):
        tracker.apply(ringing(0, "2005", call_id=call_id, key=f"{call_id}-ring"))
        tracker.apply(hung_up(5, call_id=call_id))
        tracker.apply(cdr(6, status=CallStatus.NO_ANSWER, call_id=call_id))
    tracker.apply(ringing(0, "2005", call_id="c"))

    (update,) = tracker.preview([hung_up(5, call_id="c")])
    previewed = tracker.preview([cdr(6, status=CallStatus.NO_ANSWER, call_id="c")])

    assert not update.ended and previewed[0].ended
    # ending "c" in the preview did not push "a" out of the real tracker's memory
    assert tracker.apply(ringing(0, "2005", call_id="a", key="a-ring")) is None
