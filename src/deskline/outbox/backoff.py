"""How long a failed job waits before its next attempt: capped exponential backoff with full
jitter (a random delay between 0 and ``min(cap, base * 2**(attempt - 1))``), so many jobs
failing together — a helpdesk outage — do not retry in lockstep."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 2.0
    cap_seconds: float = 600.0

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError("backoff base and cap must not be negative")

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed attempt number ``attempt`` (1 = the first)."""
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, not {attempt}")
        exponent = min(attempt - 1, 64)  # beyond this the cap has long been reached
        return float(min(self.cap_seconds, self.base_seconds * 2**exponent))

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """A random wait in ``[0, ceiling(attempt)]`` (full jitter)."""
        return rand() * self.ceiling(attempt)


def retry_delay(
    attempt: int,
    policy: RetryPolicy,
    *,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """The wait before the next attempt; a server's ``Retry-After`` is a floor, not a hint."""
    delay = policy.delay(attempt, rand)
    if retry_after is not None:
        return max(delay, retry_after)
    return delay
