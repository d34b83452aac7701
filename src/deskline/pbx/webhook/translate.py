"""Generic webhook events as vendor-neutral call events (stateless: any process can do it).

==========  =================================================================
webhook     call events
==========  =================================================================
ring        CallOffered; with ``queue`` QueueEntered; with ``extension`` LegRinging
answer      with ``extension`` LegAnswered; always CallAnswered (the call's answer)
hangup      with ``extension`` LegEnded; without it CallHungUp
cdr         CallDetailRecord
transfer    CallTransferred
queue       QueueEntered / QueueLeft
==========  =================================================================

Keys are ``webhook:<event_id>`` (or a digest of the event when it has none) plus a suffix per
produced event, so a redelivered event is recognised and dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

from deskline.calls.events import (
    CallAnswered,
    CallDetailRecord,
    CallEvent,
    CallHungUp,
    CallOffered,
    CallTransferred,
    LegAnswered,
    LegEnded,
    LegRinging,
    QueueEntered,
    QueueLeft,
)
from deskline.calls.model import CallStatus, LegStatus, Party
from deskline.pbx.webhook.parties import make_party
from deskline.pbx.webhook.schema import (
    AnswerEvent,
    CdrEvent,
    HangupEvent,
    Outcome,
    PartyIn,
    QueueEvent,
    RingEvent,
    TransferEvent,
    WebhookEvent,
)
from deskline.phones import shared_normaliser

_LEG_STATUS = {
    Outcome.ANSWERED: LegStatus.ANSWERED,
    Outcome.NO_ANSWER: LegStatus.NO_ANSWER,
    Outcome.BUSY: LegStatus.BUSY,
    Outcome.CANCELLED: LegStatus.CANCELLED,
    Outcome.ABANDONED: LegStatus.CANCELLED,
    Outcome.FAILED: LegStatus.FAILED,
    Outcome.VOICEMAIL: LegStatus.NO_ANSWER,
}
_CALL_STATUS = {
    Outcome.ANSWERED: CallStatus.ANSWERED,
    Outcome.NO_ANSWER: CallStatus.NO_ANSWER,
    Outcome.BUSY: CallStatus.BUSY,
    Outcome.CANCELLED: CallStatus.ABANDONED,
    Outcome.ABANDONED: CallStatus.ABANDONED,
    Outcome.FAILED: CallStatus.FAILED,
    Outcome.VOICEMAIL: CallStatus.VOICEMAIL,
}


def event_key(event: WebhookEvent) -> str:
    """``webhook:<event_id>``, or a digest of the event's content when it has no id."""
    if event.event_id:
        return f"webhook:{event.event_id}"
    content = event.model_dump(mode="json", by_alias=True, exclude={"event_id"})
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"webhook:auto:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


class WebhookTranslator:
    """Translates webhook events; numbers are normalised with the connection's country."""

    def __init__(
        self,
        default_country: str = "US",
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._numbers = shared_normaliser(default_country)
        self._clock = clock

    def translate(self, events: list[WebhookEvent]) -> list[CallEvent]:
        out: list[CallEvent] = []
        for event in events:
            out.extend(self.translate_one(event))
        return out

    def translate_one(self, event: WebhookEvent) -> list[CallEvent]:
        key = event_key(event)
        common = {"call_id": event.call_id, "at": event.timestamp or self._clock()}
        match event:
            case RingEvent():
                return self._ring(event, key, common)
            case AnswerEvent():
                answered: list[CallEvent] = []
                if event.extension:
                    answered.append(
                        LegAnswered(**common, key=f"{key}:leg", extension=event.extension)
                    )
                answered.append(CallAnswered(**common, key=f"{key}:call", by=event.extension))
                return answered
            case HangupEvent():
                return [self._hangup(event, key, common)]
            case CdrEvent():
                return [self._cdr(event, key, common)]
            case TransferEvent():
                return [
                    CallTransferred(
                        **common,
                        key=key,
                        transfer_kind=event.kind,
                        to=event.to,
                        from_extension=event.from_extension,
                        result=event.result,
                    )
                ]
            case QueueEvent():
                if event.action == "enter":
                    return [QueueEntered(**common, key=key, queue=event.queue)]
                return [QueueLeft(**common, key=key, queue=event.queue, outcome=event.outcome)]

    def _party(self, party: PartyIn | None) -> Party:
        if party is None:
            return Party()
        return make_party(self._numbers, party.number, party.name)

    def _ring(self, event: RingEvent, key: str, common: dict[str, object]) -> list[CallEvent]:
        out: list[CallEvent] = [
            CallOffered(
                **common,
                key=f"{key}:offered",
                caller=self._party(event.from_),
                callee=self._party(event.to),
                direction=event.direction,
                trunk=event.trunk,
                did=event.did,
            )
        ]
        if event.queue:
            out.append(QueueEntered(**common, key=f"{key}:queue", queue=event.queue))
        if event.extension:
            out.append(
                LegRinging(
                    **common,
                    key=f"{key}:leg",
                    extension=event.extension,
                    name=event.extension_name,
                )
            )
        return out

    def _hangup(self, event: HangupEvent, key: str, common: dict[str, object]) -> CallEvent:
        if event.extension:
            status = _LEG_STATUS[event.status] if event.status else LegStatus.NO_ANSWER
            return LegEnded(**common, key=key, extension=event.extension, status=status)
        verdict = _CALL_STATUS[event.status] if event.status else None
        return CallHungUp(**common, key=key, cause=event.cause, status=verdict)

    def _cdr(self, event: CdrEvent, key: str, common: dict[str, object]) -> CallEvent:
        return CallDetailRecord(
            **common,
            key=key,
            status=_CALL_STATUS[event.status] if event.status else None,
            direction=event.direction,
            caller=self._party(event.from_) if event.from_ else None,
            callee=self._party(event.to) if event.to else None,
            trunk=event.trunk,
            did=event.did,
            started_at=event.started_at,
            answered_at=event.answered_at,
            ended_at=event.ended_at,
            talk_seconds=event.talk_seconds,
            answered_by=event.answered_by,
            recording=event.recording,
        )
