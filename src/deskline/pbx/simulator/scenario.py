"""Simulated calls as timed generic-webhook events (pure: no clock, no I/O).

A :class:`CallScenario` says what should happen (who calls whom, answered after how long, busy,
through a queue, outbound); :func:`build_steps` turns it into the events a PBX would post to
``/webhooks/pbx/{connection}``, each with its offset from the start of the call. ``speed``
compresses time: offsets and timestamps are real (``speed=10`` plays a 5 s talk in 0.5 s).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

BUSY_AFTER = 0.5
"""Seconds until a busy extension or number is reported."""
SIMULATED_RECORDING_PREFIX = "sim-recording:"
"""Answered simulated calls carry a recording ``sim-recording:<call id>.wav`` in their CDR."""


@dataclass(frozen=True)
class CallScenario:
    caller: str
    """Inbound: the customer's number; outbound: the agent's extension."""
    callee: str
    """Inbound: the extension (or the number dialled, for a queue); outbound: the number."""
    name: str | None = None
    """The customer's display name."""
    answer_after: float = 2.0
    """Ring time before the answer (with ``no_answer``: before the caller gives up)."""
    talk: float = 5.0
    no_answer: bool = False
    busy: bool = False
    queue: str | None = None
    agents: tuple[str, ...] = ()
    """Queue members rung in turn, ``answer_after`` seconds each; the last one answers."""
    outbound: bool = False
    call_id: str = field(default_factory=lambda: f"sim-{uuid.uuid4().hex[:12]}")

    def __post_init__(self) -> None:
        problems = []
        if not self.caller.strip() or not self.callee.strip():
            problems.append("both --from and --to are needed")
        if self.answer_after < 0 or self.talk < 0:
            problems.append("--answer-after and --talk cannot be negative")
        if self.busy and self.no_answer:
            problems.append("--busy and --no-answer exclude each other")
        if self.queue is not None and (self.outbound or self.busy):
            problems.append("--queue works for inbound calls that ring (not --outbound/--busy)")
        if self.queue is not None and not self.agents:
            problems.append("--queue needs --agents (the members rung in turn)")
        if self.agents and self.queue is None:
            problems.append("--agents needs --queue")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Step:
    offset: float
    """Real seconds after the start of the call."""
    event: dict[str, Any]
    """The generic webhook event, ready for JSON."""
    description: str


class _Builder:
    def __init__(self, scenario: CallScenario, start: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("--speed must be positive")
        self.scenario, self.start, self.speed = scenario, start, speed
        self.steps: list[Step] = []

    def at(self, logical: float) -> float:
        return logical / self.speed

    def time(self, logical: float) -> str:
        return (self.start + timedelta(seconds=self.at(logical))).isoformat()

    def add(self, logical: float, event: str, description: str, **fields: Any) -> None:
        body = {
            "event": event,
            "call_id": self.scenario.call_id,
            "event_id": f"{self.scenario.call_id}-{len(self.steps) + 1:02}",
            "timestamp": self.time(logical),
            **fields,
        }
        self.steps.append(Step(self.at(logical), body, description))

    def end(self, logical: float, status: str, answered: float | None, by: str | None) -> None:
        s = self.scenario
        answered_call = status == "answered"
        self.add(
            logical,
            "hangup",
            f"call ended ({status})",
            cause="normal clearing" if answered_call else status,
            status=None if answered_call else status,
        )
        customer = {"number": s.callee if s.outbound else s.caller, "name": s.name}
        agent_side = {"number": s.caller if s.outbound else s.callee}
        self.add(
            logical,
            "cdr",
            "call detail record",
            status=status,
            direction="outbound" if s.outbound else "inbound",
            **{
                "from": agent_side if s.outbound else customer,
                "to": customer if s.outbound else agent_side,
            },
            started_at=self.time(0),
            ended_at=self.time(logical),
            answered_at=None if answered is None else self.time(answered),
            talk_seconds=0 if answered is None else round(self.at(logical - answered)),
            answered_by=by,
            recording=f"{SIMULATED_RECORDING_PREFIX}{s.call_id}.wav" if answered_call else None,
        )


def build_steps(scenario: CallScenario, start: datetime, *, speed: float = 1.0) -> list[Step]:
    """The events of the scenario, in order, with their real offsets."""
    builder = _Builder(scenario, start, speed)
    if scenario.outbound:
        _outbound(builder)
    elif scenario.queue is not None:
        _queue(builder)
    else:
        _direct(builder)
    return builder.steps


def _direct(b: _Builder) -> None:
    s = b.scenario
    b.add(
        0,
        "ring",
        f"{s.caller} calls {s.callee}; {s.callee} rings",
        direction="inbound",
        extension=s.callee,
        **{"from": {"number": s.caller, "name": s.name}, "to": {"number": s.callee}},
    )
    if s.busy:
        b.add(BUSY_AFTER, "hangup", f"{s.callee} is busy", extension=s.callee, status="busy")
        b.end(BUSY_AFTER, "busy", None, None)
    elif s.no_answer:
        b.add(
            s.answer_after,
            "hangup",
            f"{s.callee} did not answer; the caller gives up",
            extension=s.callee,
            status="cancelled",
        )
        b.end(s.answer_after, "no_answer", None, None)
    else:
        answered, ended = s.answer_after, s.answer_after + s.talk
        b.add(answered, "answer", f"{s.callee} answers", extension=s.callee)
        b.add(ended, "hangup", f"{s.callee} hangs up", extension=s.callee, status="answered")
        b.end(ended, "answered", answered, s.callee)


def _queue(b: _Builder) -> None:
    s = b.scenario
    queue = s.queue or ""
    b.add(
        0,
        "ring",
        f"{s.caller} calls {s.callee} and enters queue {queue}",
        direction="inbound",
        queue=queue,
        **{"from": {"number": s.caller, "name": s.name}, "to": {"number": s.callee}},
    )
    t = 0.0
    for index, agent in enumerate(s.agents):
        b.add(t, "ring", f"queue {queue} rings {agent}", extension=agent)
        t += s.answer_after
        if index < len(s.agents) - 1 or s.no_answer:
            b.add(t, "hangup", f"{agent} did not answer", extension=agent, status="no_answer")
    if s.no_answer:
        b.add(
            t,
            "queue",
            f"nobody answered: queue {queue} timed out",
            queue=queue,
            action="leave",
            outcome="timeout",
        )
        b.end(t, "no_answer", None, None)
        return
    agent = s.agents[-1]
    b.add(t, "answer", f"{agent} answers", extension=agent)
    b.add(
        t,
        "queue",
        f"{agent} took the call from queue {queue}",
        queue=queue,
        action="leave",
        outcome="answered",
    )
    b.add(t + s.talk, "hangup", f"{agent} hangs up", extension=agent, status="answered")
    b.end(t + s.talk, "answered", t, agent)


def _outbound(b: _Builder) -> None:
    s = b.scenario
    b.add(
        0,
        "ring",
        f"{s.caller} calls {s.callee}",
        direction="outbound",
        **{"from": {"number": s.caller}, "to": {"number": s.callee, "name": s.name}},
    )
    if s.busy:
        b.end(BUSY_AFTER, "busy", None, None)
    elif s.no_answer:
        b.end(s.answer_after, "no_answer", None, None)
    else:
        answered, ended = s.answer_after, s.answer_after + s.talk
        b.add(answered, "answer", f"{s.callee} answers", extension=s.caller)
        b.add(ended, "hangup", f"{s.caller} hangs up", extension=s.caller, status="answered")
        b.end(ended, "answered", answered, s.caller)
