"""What a helpdesk's answer says about its rate limit: limit, remaining, reset, Retry-After.

Understood headers (case-insensitive, first found wins)::

    limit       X-Rate-Limit (Zendesk), RateLimit-Limit, X-RateLimit-Limit,
                X-RateLimit-Total (Freshdesk), RateLimit: limit=…
    remaining   X-Rate-Limit-Remaining, RateLimit-Remaining, X-RateLimit-Remaining,
                RateLimit: remaining=…
    reset       RateLimit-Reset, X-RateLimit-Reset (seconds, or an epoch time), RateLimit: reset=…
    429         Retry-After (seconds or an HTTP date)

Endpoint-specific headers (``zendesk-ratelimit-tickets-index``) are ignored: they limit one
endpoint, not the connection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

_LIMIT = ("x-rate-limit", "ratelimit-limit", "x-ratelimit-limit", "x-ratelimit-total")
_REMAINING = ("x-rate-limit-remaining", "ratelimit-remaining", "x-ratelimit-remaining")
_RESET = ("ratelimit-reset", "x-ratelimit-reset")
_LEADING_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)?)")
_EPOCH_THRESHOLD = 1_000_000_000  # a "reset" this large is a Unix time, not seconds
_MAX_SECONDS = 3600.0  # nonsense beyond an hour is capped (a broken clock, a bad header)
THROTTLED = 429


@dataclass(frozen=True)
class RateLimitFeedback:
    """Rate-limit facts from one response (all optional)."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None
    #: the helpdesk refused the request for its rate (429): pause for ``retry_after``
    throttled: bool = False
    retry_after: float | None = None

    @property
    def empty(self) -> bool:
        return self.limit is None and self.remaining is None and not self.throttled


def parse_feedback(status: int, headers: Mapping[str, str], now: float) -> RateLimitFeedback:
    """The feedback in a response with ``status`` and ``headers``; ``now`` is Unix time."""
    lowered = {k.lower(): v for k, v in headers.items()}
    combined = _structured(lowered.get("ratelimit", ""))
    limit = _first_int(lowered, _LIMIT) if "limit" not in combined else int(combined["limit"])
    remaining = _first_int(lowered, _REMAINING)
    if remaining is None and "remaining" in combined:
        remaining = int(combined["remaining"])
    reset = _reset_seconds(_first(lowered, _RESET), now)
    if reset is None and "reset" in combined:
        reset = min(combined["reset"], _MAX_SECONDS)
    throttled = status == THROTTLED
    retry_after = parse_retry_after(lowered.get("retry-after"), now) if throttled else None
    return RateLimitFeedback(limit, remaining, reset, throttled, retry_after)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (``None`` if unreadable)."""
    if not value:
        return None
    value = value.strip()
    number = _LEADING_NUMBER.fullmatch(value)
    if number:
        return min(float(number.group(1)), _MAX_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return min(max(0.0, moment.timestamp() - now), _MAX_SECONDS)


def _first(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((headers[n] for n in names if headers.get(n, "").strip()), None)


def _first_int(headers: Mapping[str, str], names: tuple[str, ...]) -> int | None:
    for name in names:
        match = _LEADING_NUMBER.match(headers.get(name, ""))
        if match:
            return int(float(match.group(1)))
    return None


def _reset_seconds(value: str | None, now: float) -> float | None:
    match = _LEADING_NUMBER.match(value or "")
    if not match:
        return None
    number = float(match.group(1))
    if number >= _EPOCH_THRESHOLD:
        number -= now
    return min(max(0.0, number), _MAX_SECONDS)


def _structured(value: str) -> dict[str, float]:
    """``limit=100, remaining=50, reset=30`` (the IETF draft's combined header)."""
    found: dict[str, float] = {}
    for part in re.split(r"[,;]", value):
        key, equals, raw = part.partition("=")
        match = _LEADING_NUMBER.fullmatch(raw.strip()) if equals else None
        if match and key.strip().lower() in ("limit", "remaining", "reset"):
            found.setdefault(key.strip().lower(), float(match.group(1)))
    return found
