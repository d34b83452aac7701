"""Account-wide requests-per-minute limit with Zendesk's headers, plus injected 429 storms.

Every ``/api/v2`` response carries ``X-Rate-Limit`` and ``X-Rate-Limit-Remaining``; ticket
endpoints also carry ``ratelimit-*`` and ``zendesk-ratelimit-tickets-index`` (§1.8). Over the
limit → 429 with ``Retry-After`` (seconds until the minute window ends).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tests.fakes.zendesk.clock import Clock
from tests.fakes.zendesk.config import EmulatorConfig

WINDOW_SECONDS = 60


@dataclass
class Storm:
    """Answer every API request with 429 for ``remaining`` requests or until ``until``."""

    remaining: int | None
    until: float | None
    retry_after: int

    def active(self, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.until is None or now < self.until


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._window_start = -1.0
        self._used = 0
        self._tickets_used = 0
        self.storm: Storm | None = None

    def start_storm(
        self, *, requests: int | None = None, seconds: float | None = None, retry_after: int = 1
    ) -> Storm:
        if requests is None and seconds is None:
            raise ValueError("a 429 storm needs a number of requests or a duration")
        until = None if seconds is None else self.clock.now() + seconds
        self.storm = Storm(requests, until, retry_after)
        return self.storm

    def hit(self, path: str) -> RateDecision:
        """Count one request to ``path`` and say whether it may proceed."""
        now = self.clock.now()
        start = math.floor(now / WINDOW_SECONDS) * WINDOW_SECONDS
        if start != self._window_start:
            self._window_start, self._used, self._tickets_used = start, 0, 0
        reset = max(1, math.ceil(start + WINDOW_SECONDS - now))
        limit = self.config.rate_limit_per_minute
        is_ticket = path.startswith("/api/v2/tickets")
        storm = self.storm
        if storm is not None and storm.active(now):
            if storm.remaining is not None:
                storm.remaining -= 1
            headers = self._headers(limit, 0, reset, is_ticket)
            return RateDecision(False, headers | {"Retry-After": str(storm.retry_after)})
        if self._used >= limit:
            return RateDecision(
                False, self._headers(limit, 0, reset, is_ticket) | {"Retry-After": str(reset)}
            )
        self._used += 1
        if is_ticket:
            self._tickets_used += 1
        return RateDecision(True, self._headers(limit, limit - self._used, reset, is_ticket))

    def _headers(self, limit: int, remaining: int, reset: int, is_ticket: bool) -> dict[str, str]:
        headers = {"X-Rate-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining)}
        if is_ticket:
            total = self.config.tickets_index_limit
            left = max(0, total - self._tickets_used)
            headers |= {
                "ratelimit-limit": str(limit),
                "ratelimit-remaining": str(remaining),
                "ratelimit-reset": str(reset),
                "zendesk-ratelimit-tickets-index": (
                    f"total={total}; remaining={left}; resets={reset}"
                ),
            }
        return headers
