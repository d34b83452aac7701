"""What a PBX adapter tells the tracker: vendor-neutral call events.

Each PBX adapter translates its own signals (AMI frames, P-Series events, webhook JSON) into
these events; the :class:`~deskline.calls.tracker.CallTracker` folds them into calls. Every
event carries:

- ``call_id``: the PBX's identity of the whole call (AMI ``Linkedid``, P-Series ``call_id``);
- ``at``: when it happened, timezone-aware;
- ``key``: the event's identity at the PBX, so a redelivered event is recognised and dropped.

Events are stored (as JSON, through :data:`CallEvent`) before they are acknowledged, so they
must round-trip through ``model_dump(mode="json")`` / :func:`parse_event`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from deskline.calls.model import CallStatus, Direction, LegStatus, Party, QueueOutcome


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    call_id: str
    at: datetime
    key: str


class CallOffered(_Event):
    """A call began: who calls whom, over which trunk and DID (if the PBX says)."""

    kind: Literal["call.offered"] = "call.offered"
    caller: Party
    callee: Party
    direction: Direction | None = None
    trunk: str | None = None
    did: str | None = None


class QueueEntered(_Event):
    kind: Literal["queue.entered"] = "queue.entered"
    queue: str


class QueueLeft(_Event):
    kind: Literal["queue.left"] = "queue.left"
    queue: str
    outcome: QueueOutcome | None = None


class LegRinging(_Event):
    """An extension started ringing for the call.

    ``leg_id`` (optional, on all three leg events) is the PBX's identity of this one attempt
    (e.g. the agent channel's AMI Uniqueid). With it the tracker matches ring, answer and end
    exactly even when the same extension is rung twice; without it, by extension and time.
    """

    kind: Literal["leg.ringing"] = "leg.ringing"
    extension: str
    name: str | None = None
    leg_id: str | None = None


class LegAnswered(_Event):
    kind: Literal["leg.answered"] = "leg.answered"
    extension: str
    name: str | None = None
    leg_id: str | None = None


class LegEnded(_Event):
    """An extension's leg ended: answered legs end with ANSWERED, others say why."""

    kind: Literal["leg.ended"] = "leg.ended"
    extension: str
    status: LegStatus
    ring_seconds: float | None = None
    leg_id: str | None = None


class CallAnswered(_Event):
    """The call as a whole was answered.

    For an outbound call this is the called party picking up (an extension's leg answering
    only means the agent took the click-to-call ring). Inbound adapters may send it too; the
    tracker otherwise takes the first answered leg as the call's answer.
    """

    kind: Literal["call.answered"] = "call.answered"
    by: str | None = None


class CallTransferred(_Event):
    kind: Literal["call.transferred"] = "call.transferred"
    transfer_kind: str = "blind"
    from_extension: str | None = None
    to: str
    result: str | None = None


class RecordingStarted(_Event):
    """The PBX records the call; ``ref`` is what its adapter needs to fetch the file later."""

    kind: Literal["recording.started"] = "recording.started"
    ref: str


class CallHungUp(_Event):
    """The call as a whole is over (the customer's side left)."""

    kind: Literal["call.hungup"] = "call.hungup"
    cause: str | None = None
    status: CallStatus | None = None
    """The PBX's own verdict when it gives one (e.g. BUSY from an outbound dial)."""


class CallDetailRecord(_Event):
    """The PBX's own summary of the call (CDR): fills in whatever the live events missed."""

    kind: Literal["call.cdr"] = "call.cdr"
    status: CallStatus | None = None
    direction: Direction | None = None
    caller: Party | None = None
    callee: Party | None = None
    trunk: str | None = None
    did: str | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    talk_seconds: int | None = None
    answered_by: str | None = None
    recording: str | None = None
    complete: bool = True
    """False when the PBX sends several partial CDRs per call (Asterisk: one per leg). A
    complete CDR is the PBX's final word: the tracker decides the call as soon as it has it."""


CallEvent = Annotated[
    CallOffered
    | QueueEntered
    | QueueLeft
    | LegRinging
    | LegAnswered
    | LegEnded
    | CallTransferred
    | CallAnswered
    | RecordingStarted
    | CallHungUp
    | CallDetailRecord,
    Field(discriminator="kind"),
]

_adapter: TypeAdapter[CallEvent] = TypeAdapter(CallEvent)


def parse_event(data: object) -> CallEvent:
    """An event back from its stored JSON form."""
    return _adapter.validate_python(data)
