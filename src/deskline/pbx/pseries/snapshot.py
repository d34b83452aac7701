"""One P-Series event's call events, from the member snapshot and what was seen before.

A called extension rings, answers and ends (one leg, its channel id as the leg id); an
outbound call's calling extension is the agent and the far end answering is the call's
answer; the customer leaving (or everyone, for an internal call) ends the call. Keys are
``pseries:<sn>:<call_id>:<what>[:<channel>]``, stable across redeliveries and restarts.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from deskline.calls.events import (
    CallAnswered,
    CallEvent,
    CallHungUp,
    CallOffered,
    CallTransferred,
    LegAnswered,
    LegEnded,
    LegRinging,
)
from deskline.calls.model import CallStatus, Direction, LegStatus, Party
from deskline.pbx.pseries.cdr import translate_cdr
from deskline.pbx.pseries.events import PSeriesEvent, Topic
from deskline.pbx.pseries.members import (
    CALLER_STATUSES,
    CallState,
    Member,
    MemberKind,
    MemberUpdate,
)
from deskline.pbx.webhook.parties import make_party
from deskline.phones import NumberNormaliser

log = logging.getLogger(__name__)


def failure_status(reason: str) -> LegStatus:
    """The leg status a 30015 reason (SIP-like text such as ``486 Busy Here``) stands for."""
    text = reason.upper()
    if "486" in text or "600" in text or "BUSY" in text:
        return LegStatus.BUSY
    if "408" in text or "480" in text or "487" in text or "NO ANSWER" in text:
        return LegStatus.NO_ANSWER
    return LegStatus.FAILED


_FAILURE_STATUS = {
    LegStatus.BUSY: CallStatus.BUSY,
    LegStatus.NO_ANSWER: CallStatus.NO_ANSWER,
    LegStatus.FAILED: CallStatus.FAILED,
}


class EventBatch:
    """The call events produced by one PBX event, given what is known of its call."""

    def __init__(
        self,
        event: PSeriesEvent,
        call_id: str,
        state: CallState,
        *,
        at: datetime,
        tz: ZoneInfo,
        numbers: NumberNormaliser,
    ) -> None:
        self.event, self.call_id, self.state = event, call_id, state
        self.at, self.tz, self.numbers = at, tz, numbers
        self.out: list[CallEvent] = []
        self.prefix = f"pseries:{event.sn}:{call_id}"

    def cdr(self) -> None:
        record = translate_cdr(
            self.event,
            tz=self.tz,
            normaliser=self.numbers,
            key=f"{self.prefix}:cdr:{self.event.digest}",
            at=self.at,
        )
        if not self.state.offered:  # a CDR-only call (monitoring off): it still has a start
            self.state.offered = True
            self.out.append(
                CallOffered(
                    call_id=self.call_id,
                    at=record.started_at or self.at,
                    key=f"{self.prefix}:offered",
                    caller=record.caller or Party(),
                    callee=record.callee or Party(),
                    direction=record.direction,
                    trunk=record.trunk,
                    did=record.did,
                )
            )
        self.out.append(record)

    def members(self, updates: list[MemberUpdate]) -> None:
        state = self.state
        for update in updates:
            member = state.members.get(update.channel)
            if member is None:
                is_caller = update.kind is MemberKind.INBOUND or (
                    update.kind is MemberKind.EXTENSION and update.status in CALLER_STATUSES
                )
                member = Member(update.kind, update.number, is_caller)
                state.members[update.channel] = member
            member.status = update.status or member.status
        failed = self.event.type == Topic.CALL_FAILED
        if not state.offered:
            self._offer(updates, force=failed)
        customer_left = any(
            u.kind is not MemberKind.EXTENSION and u.status == "BYE" for u in updates
        )
        for update in updates:
            self._member_changed(update.channel, state.members[update.channel], customer_left)
        if self.event.type == Topic.CALL_FORWARD:
            self._transfer("forward", updates)
        elif self.event.type == Topic.CALL_TRANSFER:
            self._transfer("blind", updates)
        everyone_left = bool(state.members) and all(
            m.status == "BYE" for m in state.members.values()
        )
        if failed:
            reason = str(self.event.msg.get("reason") or "failed")
            self._hang_up(reason[:200], failure_status(reason))
        elif customer_left or everyone_left:
            self._hang_up("normal", None)

    def _offer(self, updates: list[MemberUpdate], *, force: bool) -> None:
        state = self.state
        trunk = next((u for u in updates if u.kind is not MemberKind.EXTENSION), None)
        extensions = [m for m in state.members.values() if m.kind is MemberKind.EXTENSION]
        callers = [m.number for m in extensions if m.is_caller]
        callees = [m.number for m in extensions if not m.is_caller]
        ended = all(m.status == "BYE" for m in state.members.values())
        if trunk is None and not callees and not ended and not force:
            return  # only the calling extension so far: wait for the other side
        caller = self._party(callers[0]) if callers else Party()
        callee = self._party(callees[0]) if callees else Party()
        direction = Direction.INTERNAL if callers and callees else None
        if trunk is not None and trunk.kind is MemberKind.INBOUND:
            direction = Direction.INBOUND
            caller, callee = self._party(trunk.from_number), self._party(trunk.to_number)
        elif trunk is not None:
            direction = Direction.OUTBOUND
            state.agent = callers[0] if callers else trunk.from_number or None
            caller, callee = self._party(state.agent or ""), self._party(trunk.to_number)
        state.offered, state.direction = True, direction
        self.out.append(
            CallOffered(
                call_id=self.call_id,
                at=self.at,
                key=f"{self.prefix}:offered",
                caller=caller,
                callee=callee,
                direction=direction,
                trunk=trunk.trunk or None if trunk else None,
                did=(trunk.to_number or None) if direction is Direction.INBOUND and trunk else None,
            )
        )

    def _member_changed(self, channel: str, member: Member, customer_left: bool) -> None:
        if member.kind is MemberKind.OUTBOUND and member.status == "ANSWER":
            self._far_end_answered()
        if member.kind is not MemberKind.EXTENSION or member.is_caller:
            return  # only called extensions have legs (an outbound call's agent is the caller)
        if member.status in ("RING", "ALERT"):
            self._ring(channel, member)
        elif member.status in ("ANSWER", "ANSWERED"):
            self._answer(channel, member)
        elif member.status == "BYE":
            self._end(channel, member, None, customer_left)

    def _far_end_answered(self) -> None:
        if not self.state.answered:
            self.state.answered = True
            self.out.append(
                CallAnswered(
                    call_id=self.call_id,
                    at=self.at,
                    key=f"{self.prefix}:answered",
                    by=self.state.agent,
                )
            )

    def _ring(self, channel: str, member: Member) -> None:
        if member.rang_at is None:
            member.rang_at = self.at
            self.out.append(
                LegRinging(
                    call_id=self.call_id,
                    at=self.at,
                    leg_id=channel,
                    key=f"{self.prefix}:ring:{channel}",
                    extension=member.number,
                )
            )

    def _answer(self, channel: str, member: Member) -> None:
        self._ring(channel, member)
        if not member.answered:
            member.answered = True
            self.out.append(
                LegAnswered(
                    call_id=self.call_id,
                    at=self.at,
                    leg_id=channel,
                    key=f"{self.prefix}:answer:{channel}",
                    extension=member.number,
                )
            )

    def _end(
        self, channel: str, member: Member, status: LegStatus | None, customer_left: bool
    ) -> None:
        if member.ended or member.rang_at is None:
            return
        member.ended = True
        if member.answered:
            status = LegStatus.ANSWERED
        elif status is None:
            cancelled = customer_left or self.state.any_answered()
            status = LegStatus.CANCELLED if cancelled else LegStatus.NO_ANSWER
        ring = None if member.answered else (self.at - member.rang_at).total_seconds()
        self.out.append(
            LegEnded(
                call_id=self.call_id,
                at=self.at,
                leg_id=channel,
                key=f"{self.prefix}:end:{channel}",
                extension=member.number,
                status=status,
                ring_seconds=ring,
            )
        )

    def _hang_up(self, cause: str, failure: LegStatus | None) -> None:
        if self.state.hung_up:
            return
        for channel, member in self.state.members.items():
            if member.kind is MemberKind.EXTENSION and not member.is_caller:
                self._end(channel, member, failure, customer_left=True)
        self.state.hung_up = True
        self.out.append(
            CallHungUp(
                call_id=self.call_id,
                at=self.at,
                key=f"{self.prefix}:hangup",
                cause=cause,
                status=_FAILURE_STATUS[failure] if failure else None,
            )
        )

    def _transfer(self, kind: str, updates: list[MemberUpdate]) -> None:
        msg = self.event.msg
        to = next(
            (
                str(msg[k])
                for k in ("transfer_to", "to", "number", "transferee", "forward_to")
                if isinstance(msg.get(k), str | int) and str(msg[k])
            ),
            None,
        )
        if to is None and updates:
            to = updates[-1].number
        if to is None:
            log.warning(
                "P-Series %s event for call %s without a target; skipped", kind, self.call_id
            )
            return
        source = msg.get("transferor") or msg.get("transferer") or msg.get("from")
        self.out.append(
            CallTransferred(
                call_id=self.call_id,
                at=self.at,
                key=f"{self.prefix}:{kind}:{self.event.digest}",
                transfer_kind=kind,
                to=to[:200],
                from_extension=str(source)[:200] if isinstance(source, str | int) else None,
            )
        )

    def _party(self, raw: str) -> Party:
        return make_party(self.numbers, raw)
