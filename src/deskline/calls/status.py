"""How an ended call turned out: the rules behind :attr:`Call.status` (F26).

The status is decided once, from everything the tracker knows when the call is finalised,
and none of the rules depend on the order in which the events arrived:

1. the PBX's CDR says ``voicemail`` and nobody answered → **voicemail**;
2. the call was answered → **answered** (inbound/internal: an extension answered its leg;
   outbound: the called party answered, i.e. a :class:`~deskline.calls.events.CallAnswered`
   or an answered CDR);
3. the PBX gave a verdict at hangup (e.g. BUSY from an outbound dial) → that verdict;
4. the queue said why the caller left: timeout / full / empty → **no_answer**, the caller gave
   up → **abandoned**;
5. the legs: any leg rang out → **no_answer**; only busy legs → **busy**; legs still ringing or
   cancelled when the caller left → **abandoned** (inbound) or **no_answer** (other
   directions); only failed legs → **failed**;
6. the CDR's status, when the PBX sent one;
7. nothing else is known: an inbound caller who hung up before any extension rang (IVR,
   greeting) → **abandoned**, anything else → **failed**.
"""

from __future__ import annotations

from collections.abc import Iterable

from deskline.calls.model import CallStatus, Direction, LegStatus, QueueOutcome

QUEUE_OUTCOME_RANK: dict[QueueOutcome, int] = {
    QueueOutcome.ABANDONED: 1,
    QueueOutcome.EMPTY: 2,
    QueueOutcome.FULL: 3,
    QueueOutcome.TIMEOUT: 4,
    QueueOutcome.ANSWERED: 5,
}
"""When a call reports several queue outcomes, the most specific one wins: Asterisk 22 sends
QueueCallerAbandon for a timeout too, and only QUEUESTATUS=TIMEOUT tells them apart."""

LEG_END_RANK: dict[LegStatus, int] = {
    LegStatus.RINGING: 0,
    LegStatus.CANCELLED: 1,
    LegStatus.FAILED: 2,
    LegStatus.NO_ANSWER: 3,
    LegStatus.BUSY: 4,
    LegStatus.ANSWERED: 5,
}
"""Two ends reported for one leg at the same instant: the more specific one wins."""


def stronger_queue_outcome(
    current: QueueOutcome | None, new: QueueOutcome | None
) -> QueueOutcome | None:
    if new is None:
        return current
    if current is None or QUEUE_OUTCOME_RANK[new] > QUEUE_OUTCOME_RANK[current]:
        return new
    return current


def decide_status(
    *,
    direction: Direction | None,
    answered: bool,
    hangup_status: CallStatus | None,
    queue_outcome: QueueOutcome | None,
    leg_statuses: Iterable[LegStatus],
    cdr_status: CallStatus | None,
) -> CallStatus:
    """The status of an ended call (see the module docstring for the rules)."""
    if cdr_status is CallStatus.VOICEMAIL and not answered:
        return CallStatus.VOICEMAIL
    if answered:
        return CallStatus.ANSWERED
    if hangup_status is not None and hangup_status is not CallStatus.ANSWERED:
        return hangup_status
    if queue_outcome in (QueueOutcome.TIMEOUT, QueueOutcome.FULL, QueueOutcome.EMPTY):
        return CallStatus.NO_ANSWER
    if queue_outcome is QueueOutcome.ABANDONED:
        return CallStatus.ABANDONED
    from_legs = _status_from_legs(set(leg_statuses), direction)
    if from_legs is not None:
        return from_legs
    if cdr_status is not None:
        return cdr_status
    return CallStatus.ABANDONED if direction is Direction.INBOUND else CallStatus.FAILED


def _status_from_legs(statuses: set[LegStatus], direction: Direction | None) -> CallStatus | None:
    statuses.discard(LegStatus.ANSWERED)  # an answered leg makes the call answered (rule 2)
    if not statuses:
        return None
    if LegStatus.NO_ANSWER in statuses:
        return CallStatus.NO_ANSWER
    if statuses == {LegStatus.BUSY}:
        return CallStatus.BUSY
    if statuses & {LegStatus.CANCELLED, LegStatus.RINGING}:
        return CallStatus.ABANDONED if direction is Direction.INBOUND else CallStatus.NO_ANSWER
    if LegStatus.BUSY in statuses:
        return CallStatus.BUSY
    return CallStatus.FAILED
