"""How big a connection's request budget is: a plan's requests per minute and a margin."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

#: Zendesk plans (requests per minute, account-wide; docs: developer.zendesk.com rate limits)
ZENDESK_PLANS: dict[str, int] = {
    "essential": 10,
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "enterprise_plus": 2500,
    "high_volume": 2500,
}


@dataclass(frozen=True)
class BudgetConfig:
    """The budget of one helpdesk connection.

    ``requests_per_minute``: the plan's limit (``None``: unknown or unlimited; the budget
    still follows the helpdesk's rate-limit headers and 429s). deskline uses at most
    ``safety_margin`` of it: ``limit`` requests in any ``window_seconds`` (60; tests shrink it).
    A request that would wait longer than ``max_wait_seconds`` is told to reschedule.
    """

    requests_per_minute: int | None = None
    safety_margin: float = 0.9
    window_seconds: float = 60.0
    max_wait_seconds: float = 10.0
    #: how long a 429 without Retry-After pauses the connection
    default_pause_seconds: float = 10.0
    #: processes sharing the budget; each takes 1/N of it while the shared store is down
    expected_processes: int = 1

    def __post_init__(self) -> None:
        if self.requests_per_minute is not None and self.requests_per_minute < 1:
            raise ValueError("requests_per_minute must be at least 1 (or None: unlimited)")
        if not 0 < self.safety_margin <= 1:
            raise ValueError("safety_margin must be in (0, 1]")
        if self.window_seconds <= 0 or self.max_wait_seconds < 0:
            raise ValueError("window_seconds must be > 0 and max_wait_seconds >= 0")
        if self.default_pause_seconds < 0 or self.expected_processes < 1:
            raise ValueError("default_pause_seconds must be >= 0, expected_processes >= 1")

    @property
    def limit(self) -> int | None:
        """Requests granted at most per window (``None``: no configured limit)."""
        if self.requests_per_minute is None:
            return None
        return margin_of(self.requests_per_minute, self.safety_margin)

    @property
    def reserve(self) -> int:
        """The plan's requests deskline leaves alone (the margin in requests)."""
        if self.requests_per_minute is None:
            return 0
        return self.requests_per_minute - margin_of(self.requests_per_minute, self.safety_margin)

    def per_process(self) -> BudgetConfig:
        """This budget split across ``expected_processes`` (the fallback while Redis is down)."""
        if self.requests_per_minute is None or self.expected_processes == 1:
            return self
        share = max(1, self.requests_per_minute // self.expected_processes)
        return replace(self, requests_per_minute=share, expected_processes=1)


def margin_of(limit: int, margin: float) -> int:
    """``limit`` times ``margin``, rounded down, at least 1."""
    return max(1, math.floor(limit * margin + 1e-9))
