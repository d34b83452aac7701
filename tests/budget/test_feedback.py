"""Reading rate-limit headers of Zendesk, Freshdesk and the IETF draft, and Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from deskline.budget import parse_feedback

NOW = 1_700_000_000.0


def test_zendesk_account_headers() -> None:
    feedback = parse_feedback(200, {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "699"}, NOW)
    assert (feedback.limit, feedback.remaining, feedback.throttled) == (700, 699, False)


def test_zendesk_ticket_headers_carry_a_reset() -> None:
    headers = {
        "ratelimit-limit": "700",
        "ratelimit-remaining": "12",
        "ratelimit-reset": "41",
        "zendesk-ratelimit-tickets-index": "total=100; remaining=0; resets=41",
    }
    feedback = parse_feedback(200, headers, NOW)
    assert (feedback.limit, feedback.remaining, feedback.reset_seconds) == (700, 12, 41.0)


def test_freshdesk_headers() -> None:
    headers = {
        "X-RateLimit-Total": "400",
        "X-RateLimit-Remaining": "37",
        "X-RateLimit-Used-CurrentRequest": "1",
    }
    feedback = parse_feedback(200, headers, NOW)
    assert (feedback.limit, feedback.remaining) == (400, 37)


def test_an_epoch_reset_becomes_seconds_from_now() -> None:
    headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Reset": str(int(NOW) + 25)}
    assert parse_feedback(200, headers, NOW).reset_seconds == 25.0


def test_the_combined_ietf_header() -> None:
    feedback = parse_feedback(200, {"RateLimit": "limit=100, remaining=50, reset=30"}, NOW)
    assert (feedback.limit, feedback.remaining, feedback.reset_seconds) == (100, 50, 30.0)


def test_a_429_with_retry_after_in_seconds_or_as_a_date() -> None:
    seconds = parse_feedback(429, {"Retry-After": "45"}, NOW)
    assert seconds.throttled and seconds.retry_after == 45.0
    when = format_datetime(datetime.fromtimestamp(NOW + 90, UTC), usegmt=True)
    dated = parse_feedback(429, {"Retry-After": when}, NOW)
    assert dated.retry_after == 90.0


def test_a_429_without_retry_after_is_still_throttled() -> None:
    feedback = parse_feedback(429, {}, NOW)
    assert feedback.throttled and feedback.retry_after is None and not feedback.empty


def test_retry_after_on_a_success_is_ignored_and_garbage_is_harmless() -> None:
    assert parse_feedback(200, {"Retry-After": "30"}, NOW).empty
    junk = parse_feedback(200, {"X-Rate-Limit": "lots", "X-Rate-Limit-Remaining": "-"}, NOW)
    assert junk.empty
    assert parse_feedback(429, {"Retry-After": "soon"}, NOW).retry_after is None


def test_absurd_waits_are_capped_at_an_hour() -> None:
    assert parse_feedback(429, {"Retry-After": "999999"}, NOW).retry_after == 3600.0
