"""Merging Asterisk's Cdr events of one call (one per leg, sometimes one per dial attempt).

Asterisk's dispositions describe channels, not the call: the inbound channel of an answered
queue call has a ``NO ANSWER`` Cdr for the member that did not answer, a ringing queue member
shows ``FAILED``, and the originate half of a click-to-call is ``ANSWERED`` as soon as the
agent picks up. So the merged record carries **no status**: the live events decide it. It
gives the call's span (earliest start, latest end, in the PBX's time zone), the billable
seconds and the caller/callee of the call's first channel, and is sent with
``complete=False`` after each Cdr, since no Cdr says it is the last one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from deskline.calls.events import CallDetailRecord
from deskline.calls.model import Party
from deskline.pbx.asterisk.dialplan import Dialplan
from deskline.pbx.asterisk.protocol import Frame

_CALLER_ID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<number>[^>]*)>\s*$')


@dataclass(slots=True)
class CdrMerge:
    """The Cdrs of one call seen so far."""

    started_at: datetime | None = None
    ended_at: datetime | None = None
    billable_seconds: int | None = None
    caller: Party | None = None
    callee: Party | None = None
    count: int = 0

    def add(self, frame: Frame, *, first_channel: bool, dialplan: Dialplan) -> None:
        self.count += 1
        started = dialplan.local_time(frame.value("StartTime"))
        ended = dialplan.local_time(frame.value("EndTime"))
        if started and (self.started_at is None or started < self.started_at):
            self.started_at = started
        if ended and (self.ended_at is None or ended > self.ended_at):
            self.ended_at = ended
        billable = _int(frame.value("BillableSeconds"))
        if billable is not None and first_channel:
            self.billable_seconds = billable
        elif billable is not None and self.caller is None:  # the first channel's Cdr wins
            self.billable_seconds = max(self.billable_seconds or 0, billable)
        if first_channel:
            name, number = split_caller_id(frame.value("CallerID"))
            self.caller = dialplan.party(frame.value("Source") or number, name)
            self.callee = dialplan.party(frame.value("Destination"))

    def event(self, call_id: str, at: datetime, key: str) -> CallDetailRecord:
        return CallDetailRecord(
            call_id=call_id,
            at=at,
            key=key,
            caller=self.caller,
            callee=self.callee,
            started_at=self.started_at,
            ended_at=self.ended_at,
            talk_seconds=self.billable_seconds,
            complete=False,
        )


def split_caller_id(value: str) -> tuple[str | None, str | None]:
    """``"Customer One" <+15551234567>`` → (``Customer One``, ``+15551234567``)."""
    match = _CALLER_ID.match(value)
    if match is None:
        return None, value.strip() or None
    return match.group("name").strip() or None, match.group("number").strip() or None


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
