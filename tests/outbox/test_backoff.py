"""Capped exponential backoff with full jitter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskline.outbox.backoff import RetryPolicy, retry_delay


def test_ceiling_doubles_per_attempt_until_the_cap() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=60)
    assert [policy.ceiling(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_full_jitter_spans_zero_to_the_ceiling() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=60)
    assert policy.delay(3, rand=lambda: 0.0) == 0
    assert policy.delay(3, rand=lambda: 0.5) == 4
    assert policy.delay(3, rand=lambda: 1.0) == 8


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=60)
    assert retry_delay(1, policy, retry_after=30, rand=lambda: 1.0) == 30
    assert retry_delay(4, policy, retry_after=1, rand=lambda: 1.0) == 16
    assert retry_delay(2, policy, rand=lambda: 0.25) == 1


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        RetryPolicy().ceiling(0)
    with pytest.raises(ValueError):
        RetryPolicy(base_seconds=-1)


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    base=st.floats(min_value=0, max_value=100),
    cap=st.floats(min_value=0, max_value=100_000),
    r=st.floats(min_value=0, max_value=1),
)
def test_delay_never_exceeds_the_cap(attempt: int, base: float, cap: float, r: float) -> None:
    delay = RetryPolicy(base_seconds=base, cap_seconds=cap).delay(attempt, rand=lambda: r)
    assert 0 <= delay <= cap
