"""Switchable faults per route pattern: 5xx answers, slow answers, dropped connections (before
the request is carried out, or after it: a lost answer).

A rule matches paths with shell-style wildcards (``/api/v2/tickets*``; the ``.json`` suffix
is removed before matching) and lasts for ``times`` matching requests or ``seconds`` of
emulator time (or both: whichever ends first; neither: until cleared).
"""

from __future__ import annotations

import fnmatch
import itertools
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["error", "delay", "drop", "lost_answer"]
_ids = itertools.count(1)


@dataclass
class FaultRule:
    pattern: str
    kind: FaultKind
    method: str | None = None
    status: int = 503
    delay_seconds: float = 0.0
    remaining: int | None = None
    until: float | None = None
    id: int = 0

    def active(self, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.until is None or now < self.until

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.pattern)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pattern": self.pattern,
            "kind": self.kind,
            "method": self.method,
            "status": self.status,
            "delay_seconds": self.delay_seconds,
            "remaining": self.remaining,
            "until": self.until,
        }


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one request: wait ``delay`` seconds, then maybe fail with ``terminal``."""

    delay: float
    terminal: FaultRule | None


class FaultInjector:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(
        self,
        pattern: str,
        kind: FaultKind,
        *,
        now: float,
        method: str | None = None,
        status: int = 503,
        delay_seconds: float = 0.0,
        times: int | None = None,
        seconds: float | None = None,
    ) -> FaultRule:
        if kind == "error" and not 500 <= status <= 599:
            raise ValueError("an error fault answers with a 5xx status")
        if kind == "delay" and delay_seconds <= 0:
            raise ValueError("a delay fault needs delay_seconds > 0")
        rule = FaultRule(
            pattern,
            kind,
            method,
            status,
            delay_seconds,
            times,
            None if seconds is None else now + seconds,
            next(_ids),
        )
        self.rules.append(rule)
        return rule

    def plan(self, method: str, path: str, now: float) -> FaultPlan:
        """Consume the rules that apply to this request."""
        delay = 0.0
        terminal: FaultRule | None = None
        for rule in self.rules:
            if not rule.active(now) or not rule.matches(method, path):
                continue
            if rule.kind == "delay":
                delay += rule.delay_seconds
            elif terminal is None:
                terminal = rule
            else:
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
        self.rules = [r for r in self.rules if r.active(now)]
        return FaultPlan(delay, terminal)

    def clear(self) -> None:
        self.rules.clear()
