"""The generic PBX webhook's event schema (documented in ``docs/pbx-webhook.md``).

Any PBX that can POST JSON sends one event or a batch ``{"events": [...]}``. Every event has
``event`` (its type), ``call_id`` (the PBX's identity of the whole call), an optional
``event_id`` (the dedupe key; derived from the content when absent) and an optional
``timestamp`` (ISO 8601, or Unix epoch seconds; a time without a zone is UTC; default: when
deskline received it). Text is carried as data, whatever it contains.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, WithJsonSchema, field_validator

from deskline.calls.model import Direction, QueueOutcome

MAX_BATCH = 500
_TEXT = 20_000  # generous: a 10 kB caller name is data, not an attack
Text = Annotated[str, Field(max_length=_TEXT)]
Id = Annotated[str, Field(min_length=1, max_length=512)]
Instant = Annotated[
    datetime,
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
            "description": "ISO 8601 or Unix epoch seconds; a time without a zone is UTC.",
        }
    ),
]


class Outcome(StrEnum):
    """How a leg or a call ended (``hangup.status``, ``cdr.status``)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CANCELLED = "cancelled"
    FAILED = "failed"
    ABANDONED = "abandoned"
    VOICEMAIL = "voicemail"


class PartyIn(BaseModel):
    """A number (E.164, national, or an extension) and an optional display name."""

    model_config = ConfigDict(extra="forbid")

    number: Text | None = None
    name: Text | None = None


def _party(value: Any) -> Any:
    return {"number": value} if isinstance(value, str) else value


def _outcome(value: Any) -> Any:
    if isinstance(value, str):
        return "_".join(value.strip().lower().replace("-", " ").split())
    return value


class _Base(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    call_id: Id
    event_id: Id | None = None
    timestamp: Instant | None = Field(
        default=None, description="When it happened (default: when deskline received it)."
    )

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class RingEvent(_Base):
    """A call began, or (with ``extension``) one more extension started ringing for it."""

    event: Literal["ring"]
    from_: PartyIn | None = Field(default=None, alias="from")
    to: PartyIn | None = None
    direction: Direction | None = None
    trunk: Text | None = None
    did: Text | None = None
    extension: Text | None = Field(default=None, description="The extension now ringing.")
    extension_name: Text | None = None
    queue: Text | None = None

    _parties = field_validator("from_", "to", mode="before")(_party)


class AnswerEvent(_Base):
    """The call was answered; ``extension``: the extension that took it (outbound: the agent)."""

    event: Literal["answer"]
    extension: Text | None = None


class HangupEvent(_Base):
    """With ``extension``: that extension's leg ended; without: the whole call is over."""

    event: Literal["hangup"]
    extension: Text | None = None
    cause: Text | None = None
    status: Outcome | None = Field(
        default=None, description="Leg: how it ended (default no_answer unless it was answered)."
    )

    _status = field_validator("status", mode="before")(_outcome)


class CdrEvent(_Base):
    """The PBX's summary of the finished call; fills in what the live events missed."""

    event: Literal["cdr"]
    status: Outcome | None = None
    direction: Direction | None = None
    from_: PartyIn | None = Field(default=None, alias="from")
    to: PartyIn | None = None
    trunk: Text | None = None
    did: Text | None = None
    started_at: Instant | None = None
    answered_at: Instant | None = None
    ended_at: Instant | None = None
    talk_seconds: int | None = Field(default=None, ge=0)
    answered_by: Text | None = None
    recording: Text | None = None

    _parties = field_validator("from_", "to", mode="before")(_party)
    _status = field_validator("status", mode="before")(_outcome)

    @field_validator("started_at", "answered_at", "ended_at")
    @classmethod
    def _aware_times(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class TransferEvent(_Base):
    event: Literal["transfer"]
    to: Text = Field(min_length=1)
    from_extension: Text | None = None
    kind: Literal["blind", "attended", "forward"] = "blind"
    result: Text | None = None


class QueueEvent(_Base):
    """The caller entered or left a queue."""

    event: Literal["queue"]
    queue: Text = Field(min_length=1)
    action: Literal["enter", "leave"]
    outcome: QueueOutcome | None = None


WebhookEvent = Annotated[
    RingEvent | AnswerEvent | HangupEvent | CdrEvent | TransferEvent | QueueEvent,
    Field(discriminator="event"),
]


class WebhookBatch(BaseModel):
    events: list[WebhookEvent] = Field(min_length=1, max_length=MAX_BATCH)


EVENT_ADAPTER: TypeAdapter[WebhookEvent] = TypeAdapter(WebhookEvent)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a request body: one event or a batch."""
    return TypeAdapter(WebhookEvent | WebhookBatch).json_schema(by_alias=True)
