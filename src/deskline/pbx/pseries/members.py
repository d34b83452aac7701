"""The ``members[]`` of P-Series call events, and the little the adapter remembers per call.

Each member has exactly one key: ``extension`` (``number``), ``inbound`` or ``outbound``
(``from``, ``to``, ``trunk_name``), plus ``channel_id`` and ``member_status``. An extension
whose first status is ``ALERT``/``ANSWERED`` is the calling side (it hears ringback); one that
is ``RING``/``ANSWER`` is being called. The customer is the ``inbound``/``outbound`` member.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from deskline.calls.model import Direction
from deskline.errors import EventPayloadError

log = logging.getLogger(__name__)

CALLER_STATUSES = frozenset({"ALERT", "ANSWERED", "EARLYMEDIA"})


class MemberKind(StrEnum):
    EXTENSION = "extension"
    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True, slots=True)
class MemberUpdate:
    """One element of ``members[]``."""

    kind: MemberKind
    status: str
    channel: str
    number: str
    from_number: str = ""
    to_number: str = ""
    trunk: str = ""


@dataclass(slots=True)
class Member:
    """What is remembered of one channel of a call."""

    kind: MemberKind
    number: str
    is_caller: bool
    status: str = ""
    rang_at: datetime | None = None
    answered: bool = False
    ended: bool = False


@dataclass(slots=True)
class CallState:
    """Per call: which members were seen and what was already reported."""

    members: dict[str, Member] = field(default_factory=dict)
    offered: bool = False
    direction: Direction | None = None
    hung_up: bool = False
    agent: str | None = None  # the calling extension of an outbound call
    answered: bool = False  # an outbound call's far end answered

    def customer(self) -> Member | None:
        return next((m for m in self.members.values() if m.kind is not MemberKind.EXTENSION), None)

    def any_answered(self) -> bool:
        return any(m.answered for m in self.members.values())


def parse_members(msg: dict[str, Any]) -> list[MemberUpdate]:
    """The members of an event; malformed elements are logged and skipped."""
    raw = msg.get("members", [])
    if not isinstance(raw, list):
        raise EventPayloadError("event field 'members' must be a list")
    out: list[MemberUpdate] = []
    for index, element in enumerate(raw):
        update = _member(element)
        if update is None:
            log.warning(
                "P-Series call %s: skipping malformed member #%d: %.200r",
                msg.get("call_id"),
                index,
                element,
            )
        else:
            out.append(update)
    return out


def _text(info: dict[str, Any], key: str) -> str:
    value = info.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def _member(element: object) -> MemberUpdate | None:
    if not isinstance(element, dict) or len(element) != 1:
        return None
    ((name, info),) = element.items()
    try:
        kind = MemberKind(name)
    except ValueError:
        return None
    if not isinstance(info, dict):
        return None
    status = _text(info, "member_status").upper()
    if kind is MemberKind.EXTENSION:
        number = _text(info, "number")
        from_number = to_number = trunk = ""
    else:
        from_number, to_number = _text(info, "from"), _text(info, "to")
        trunk = _text(info, "trunk_name")
        number = from_number if kind is MemberKind.INBOUND else to_number
    if not number:
        return None
    channel = _text(info, "channel_id") or f"{kind.value}:{number}"
    return MemberUpdate(kind, status, channel, number, from_number, to_number, trunk)
