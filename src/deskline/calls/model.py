"""A call as deskline sees it: one call per customer interaction, with a leg per extension rung.

Queue and ring-group calls, transfers and forwards stay one :class:`Call` (F26); whether a
call was missed is decided once, for the call, when it ends (:attr:`Call.status`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class CallPhase(StrEnum):
    """Where a call is now."""

    RINGING = "ringing"
    TALKING = "talking"
    ENDED = "ended"


class CallStatus(StrEnum):
    """How an ended call turned out (decided once, when it ends)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    ABANDONED = "abandoned"
    VOICEMAIL = "voicemail"


class LegStatus(StrEnum):
    """How one extension's part of a call went."""

    RINGING = "ringing"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CANCELLED = "cancelled"
    FAILED = "failed"


class QueueOutcome(StrEnum):
    ANSWERED = "answered"
    TIMEOUT = "timeout"
    ABANDONED = "abandoned"
    FULL = "full"
    EMPTY = "empty"


class Party(BaseModel):
    """One end of a call: a number (E.164 or an extension), the PBX's original, and a name."""

    model_config = ConfigDict(frozen=True)

    number: str | None = None
    raw: str | None = None
    name: str | None = None
    is_extension: bool = False


class Leg(BaseModel):
    """An extension that was rung for a call."""

    extension: str
    name: str | None = None
    leg_id: str | None = None
    status: LegStatus = LegStatus.RINGING
    ring_started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    ring_seconds: float | None = None


class Transfer(BaseModel):
    at: datetime
    kind: str = "blind"  # blind | attended
    from_extension: str | None = None
    to: str
    result: str | None = None


class Call(BaseModel):
    """One call, keyed by the PBX's call identity (AMI Linkedid, P-Series call_id, …)."""

    call_id: str
    source: str = "pbx"
    direction: Direction | None = None
    caller: Party = Field(default_factory=Party)
    callee: Party = Field(default_factory=Party)
    trunk: str | None = None
    did: str | None = None
    queue: str | None = None
    queue_outcome: QueueOutcome | None = None
    phase: CallPhase = CallPhase.RINGING
    status: CallStatus | None = None
    answered_by: str | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    legs: list[Leg] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    recording: str | None = None
    hangup_cause: str | None = None
    has_cdr: bool = False

    @property
    def talk_seconds(self) -> int:
        if self.answered_at is None or self.ended_at is None:
            return 0
        return max(0, round((self.ended_at - self.answered_at).total_seconds()))

    @property
    def is_external(self) -> bool:
        return self.direction in (Direction.INBOUND, Direction.OUTBOUND)

    def leg(self, extension: str) -> Leg | None:
        """The most recent leg of an extension (an extension can be rung twice)."""
        for leg in reversed(self.legs):
            if leg.extension == extension:
                return leg
        return None

    def summary(self) -> dict[str, object]:
        """The call as documented for ``deskline pbx replay --format json`` and the API."""
        return {
            "call_id": self.call_id,
            "direction": self.direction.value if self.direction else None,
            "caller": {"number": self.caller.number, "name": self.caller.name},
            "callee": {"number": self.callee.number, "name": self.callee.name},
            "trunk": self.trunk,
            "did": self.did,
            "queue": self.queue,
            "queue_outcome": self.queue_outcome.value if self.queue_outcome else None,
            "status": self.status.value if self.status else None,
            "answered_by": self.answered_by,
            "started_at": _iso(self.started_at),
            "answered_at": _iso(self.answered_at),
            "ended_at": _iso(self.ended_at),
            "talk_seconds": self.talk_seconds,
            "legs": [
                {
                    "extension": leg.extension,
                    "status": leg.status.value,
                    "ring_seconds": None
                    if leg.ring_seconds is None
                    else round(leg.ring_seconds, 1),
                }
                for leg in self.legs
            ],
            "transfers": [
                {"at": _iso(t.at), "kind": t.kind, "from": t.from_extension, "to": t.to}
                for t in self.transfers
            ],
            "recording": self.recording,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
