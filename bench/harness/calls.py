"""The calls a scenario places: unique caller numbers (returning callers known to the helpdesk
and deskline's index, new callers unknown to both), spread over the bound extensions."""

from __future__ import annotations

import random
from dataclasses import dataclass

AREA_CODES = ("212", "312", "415", "513", "617", "718", "303", "206", "404", "702")
NEW_CALLERS_FROM = 5_000_000
"""New callers' numbers come from here on: their last 7 digits never meet a returning one's."""


def phone_number(index: int) -> str:
    """The ``index``-th caller's E.164 number (unique and valid for ``index`` < 79,000,000)."""
    line = index % 10_000
    exchange = 201 + (index // 10_000) % 790
    area = AREA_CODES[(index // 7_900_000) % len(AREA_CODES)]
    return f"+1{area}{exchange:03d}{line:04d}"


@dataclass(frozen=True)
class PlannedCall:
    number: str
    extension: str
    returning: bool
    """Known to the helpdesk and to deskline's local index before the call."""


def plan_calls(
    count: int,
    extensions: tuple[str, ...],
    *,
    returning_share: float = 0.8,
    seed: int = 5,
    returning_offset: int = 0,
) -> list[PlannedCall]:
    """``count`` calls from distinct numbers, ``returning_share`` of them returning callers."""
    rng = random.Random(seed)
    returning = round(count * returning_share)
    flags = [True] * returning + [False] * (count - returning)
    rng.shuffle(flags)
    calls = []
    known = new = 0
    for n, is_returning in enumerate(flags):
        if is_returning:
            number = phone_number(returning_offset + known)
            known += 1
        else:
            number = phone_number(NEW_CALLERS_FROM + returning_offset + new)
            new += 1
        calls.append(PlannedCall(number, extensions[n % len(extensions)], is_returning))
    return calls


def caller_name(number: str) -> tuple[str, str]:
    return "Caller", number[-7:]
