"""What the AMI translator remembers per call, and its lookup tables of AMI values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deskline.calls.events import CallEvent
from deskline.calls.model import CallStatus, Direction, LegStatus, Party, QueueOutcome
from deskline.pbx.asterisk.cdr import CdrMerge
from deskline.pbx.asterisk.dialplan import Dialplan
from deskline.pbx.asterisk.protocol import Frame

LEG_END_BY_DIALSTATUS: dict[str, LegStatus] = {
    "NOANSWER": LegStatus.NO_ANSWER,
    "BUSY": LegStatus.BUSY,
    "CANCEL": LegStatus.CANCELLED,
    "CONGESTION": LegStatus.FAILED,
    "CHANUNAVAIL": LegStatus.FAILED,
    "DONTCALL": LegStatus.FAILED,
    "TORTURE": LegStatus.FAILED,
    "INVALIDARGS": LegStatus.FAILED,
}
"""DialEnd's DialStatus for a leg that did not answer."""

VERDICT_BY_DIALSTATUS: dict[str, CallStatus] = {
    "NOANSWER": CallStatus.NO_ANSWER,
    "CANCEL": CallStatus.NO_ANSWER,
    "BUSY": CallStatus.BUSY,
    "CONGESTION": CallStatus.FAILED,
    "CHANUNAVAIL": CallStatus.FAILED,
    "DONTCALL": CallStatus.FAILED,
    "TORTURE": CallStatus.FAILED,
    "INVALIDARGS": CallStatus.FAILED,
}
"""DialEnd's DialStatus for the external party of an outbound call."""

LEG_END_BY_CAUSE: dict[str, LegStatus] = {
    "17": LegStatus.BUSY,  # user busy
    "21": LegStatus.BUSY,  # call rejected
    "18": LegStatus.NO_ANSWER,  # no user responding
    "19": LegStatus.NO_ANSWER,  # no answer
    "34": LegStatus.FAILED,  # no circuit available
    "38": LegStatus.FAILED,  # network out of order
}
"""Hangup causes of a ringing leg that ends without a DialEnd (others: cancelled)."""

QUEUE_OUTCOME_BY_STATUS: dict[str, QueueOutcome] = {
    "TIMEOUT": QueueOutcome.TIMEOUT,
    "FULL": QueueOutcome.FULL,
    "JOINEMPTY": QueueOutcome.EMPTY,
    "LEAVEEMPTY": QueueOutcome.EMPTY,
    "JOINUNAVAIL": QueueOutcome.EMPTY,
    "LEAVEUNAVAIL": QueueOutcome.EMPTY,
}
"""``VarSet QUEUESTATUS`` values that say why the caller left the queue."""


@dataclass(slots=True)
class LegState:
    leg_id: str
    extension: str
    name: str | None = None
    answered: bool = False
    ended: bool = False


@dataclass(slots=True)
class CallState:
    call_id: str
    last_seen: datetime
    direction: Direction | None = None
    offered: bool = False
    inbound: tuple[Party, str | None, str | None] | None = None  # caller, DID, trunk
    caller_extension: str | None = None
    live: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    legs: dict[str, LegState] = field(default_factory=dict)  # by channel Uniqueid
    leg_bases: dict[str, LegState] = field(default_factory=dict)  # by channel name
    queue: str | None = None
    outbound_dial: str | None = None
    verdict: CallStatus | None = None
    hung_up: bool = False
    transferred: bool = False
    cdr: CdrMerge = field(default_factory=CdrMerge)
    fresh: list[str] = field(default_factory=list)  # channels the translator must index

    def add_channel(self, uniqueid: str, *, live: bool) -> None:
        if not uniqueid or uniqueid == "<unknown>":
            return
        if uniqueid not in self.channels:
            self.channels.add(uniqueid)
            self.fresh.append(uniqueid)
        if live:
            self.live.add(uniqueid)


@dataclass(slots=True)
class Context:
    """One frame being translated, and the events it produced so far."""

    frame: Frame
    name: str
    call: CallState
    plan: Dialplan
    at: datetime
    identity: str
    events: list[CallEvent] = field(default_factory=list)

    def emit(self, event_type: type[Any], **fields: object) -> None:
        kind = event_type.model_fields["kind"].default
        key = f"{self.identity}:{kind}"
        same = sum(1 for event in self.events if event.key.startswith(key))
        if same:
            key = f"{key}#{same}"
        self.events.append(event_type(call_id=self.call.call_id, at=self.at, key=key, **fields))


def to_number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None
