"""Simulated calls fold into the calls a user expects to see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskline.calls.model import Call, CallStatus, Direction, LegStatus, QueueOutcome
from deskline.calls.tracker import CallTracker
from deskline.pbx.simulator.scenario import CallScenario, Step, build_steps
from deskline.pbx.webhook.schema import EVENT_ADAPTER
from deskline.pbx.webhook.translate import WebhookTranslator

START = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def fold(steps: list[Step]) -> Call:
    translator = WebhookTranslator("US")
    tracker = CallTracker()
    for step in steps:
        for event in translator.translate_one(EVENT_ADAPTER.validate_python(step.event)):
            tracker.apply(event)
    tracker.finalise_all()
    call = tracker.get(steps[0].event["call_id"])
    assert call is not None
    return call


def simulate(speed: float = 1.0, **options: object) -> Call:
    return fold(build_steps(CallScenario(**options), START, speed=speed))  # type: ignore[arg-type]


def test_direct_answered_call() -> None:
    call = simulate(caller="+15551234567", callee="2005", name="Ann Lee", answer_after=2, talk=5)
    assert call.direction is Direction.INBOUND
    assert call.status is CallStatus.ANSWERED and call.answered_by == "2005"
    assert (call.caller.number, call.caller.name) == ("+15551234567", "Ann Lee")
    assert call.talk_seconds == 5
    assert call.started_at == START
    assert [(leg.extension, leg.status, leg.ring_seconds) for leg in call.legs] == [
        ("2005", LegStatus.ANSWERED, 2.0)
    ]


def test_no_answer_is_a_missed_call() -> None:
    call = simulate(caller="+15551234567", callee="2005", answer_after=4, no_answer=True)
    assert call.status is CallStatus.NO_ANSWER and call.answered_by is None
    assert call.ended_at == datetime(2024, 5, 1, 10, 0, 4, tzinfo=UTC)


def test_busy_extension() -> None:
    call = simulate(caller="+15551234567", callee="2008", busy=True)
    assert call.status is CallStatus.BUSY
    assert call.legs[0].status is LegStatus.BUSY


def test_queue_rings_agents_in_turn_and_the_last_answers() -> None:
    call = simulate(
        caller="+15551234567",
        callee="5550100",
        queue="support",
        agents=("2006", "2005"),
        answer_after=4,
        talk=2,
    )
    assert call.status is CallStatus.ANSWERED and call.answered_by == "2005"
    assert call.queue == "support" and call.queue_outcome is QueueOutcome.ANSWERED
    assert [(leg.extension, leg.status) for leg in call.legs] == [
        ("2006", LegStatus.NO_ANSWER),
        ("2005", LegStatus.ANSWERED),
    ]
    assert call.answered_at == datetime(2024, 5, 1, 10, 0, 8, tzinfo=UTC)


def test_queue_nobody_answers() -> None:
    call = simulate(
        caller="+15551234567",
        callee="5550100",
        queue="support",
        agents=("2006", "2005"),
        no_answer=True,
    )
    assert call.status is CallStatus.NO_ANSWER
    assert call.queue_outcome is QueueOutcome.TIMEOUT
    assert {leg.status for leg in call.legs} == {LegStatus.NO_ANSWER}


def test_outbound_answered() -> None:
    call = simulate(caller="2005", callee="+15557654321", outbound=True, name="Bob", talk=3)
    assert call.direction is Direction.OUTBOUND
    assert call.status is CallStatus.ANSWERED and call.answered_by == "2005"
    assert (call.callee.number, call.callee.name) == ("+15557654321", "Bob")
    assert call.talk_seconds == 3


@pytest.mark.parametrize(
    ("flag", "status"), [("no_answer", CallStatus.NO_ANSWER), ("busy", CallStatus.BUSY)]
)
def test_outbound_not_answered(flag: str, status: CallStatus) -> None:
    call = simulate(caller="2005", callee="+15557654321", outbound=True, **{flag: True})
    assert call.status is status and call.answered_by is None


def test_speed_compresses_real_time() -> None:
    steps = build_steps(
        CallScenario(caller="+15551234567", callee="2005", answer_after=2, talk=8), START, speed=10
    )
    assert [round(step.offset, 2) for step in steps] == [0.0, 0.2, 1.0, 1.0, 1.0]
    assert fold(steps).talk_seconds == 1


def test_every_step_is_a_valid_webhook_event_with_a_unique_id() -> None:
    steps = build_steps(
        CallScenario(caller="+15551234567", callee="5550100", queue="q", agents=("1", "2", "3")),
        START,
    )
    ids = [EVENT_ADAPTER.validate_python(step.event).event_id for step in steps]
    assert len(set(ids)) == len(ids)
    assert [s.offset for s in steps] == sorted(s.offset for s in steps)


@pytest.mark.parametrize(
    "options",
    [
        {"busy": True, "no_answer": True},
        {"queue": "support"},
        {"agents": ("2005",)},
        {"queue": "q", "agents": ("1",), "outbound": True},
        {"talk": -1},
    ],
)
def test_contradictory_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CallScenario(caller="+15551234567", callee="2005", **options)  # type: ignore[arg-type]
