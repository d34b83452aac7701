"""The arithmetic of a budget on a hand-driven clock: window, header limits, credit, pause."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from deskline.budget import BudgetConfig, RateLimitFeedback
from deskline.budget.window import SlidingWindow
from tests.budget.grants import most_in_any_window


def window(rpm: int | None = 10, margin: float = 1.0, seconds: float = 60.0) -> SlidingWindow:
    return SlidingWindow(BudgetConfig(rpm, safety_margin=margin, window_seconds=seconds))


def grant_all(budget: SlidingWindow, now: float) -> int:
    granted = 0
    while budget.delay(now) == 0:
        budget.grant(now)
        granted += 1
    return granted


def test_the_plan_with_its_margin_is_the_limit() -> None:
    assert BudgetConfig(400).limit == 360
    assert BudgetConfig(700, safety_margin=0.9).limit == 630
    assert BudgetConfig(1, safety_margin=0.5).limit == 1  # never zero
    assert BudgetConfig(None).limit is None


def test_a_full_window_waits_until_its_oldest_grant_expires() -> None:
    budget = window(3)
    for moment in (0.0, 10.0, 20.0):
        budget.grant(moment)
    assert budget.delay(30.0) == 30.0  # the grant at 0 expires at 60
    assert budget.delay(60.0) == 0.0
    assert budget.delay(30.0, ahead=1) == 40.0  # the second in line needs the grant at 10


@given(st.lists(st.floats(min_value=0, max_value=600), min_size=1, max_size=200))
@example([1.0, 1.0, 1.0, 1.0, 10.0, 3.1143828622442295e-35])  # 3e-35 + 10 - 10 rounds to 0
def test_grants_never_exceed_the_limit_in_any_window(arrivals: list[float]) -> None:
    budget = window(5, seconds=10.0)
    granted: list[float] = []
    for moment in sorted(arrivals):
        if budget.delay(moment) == 0:
            budget.grant(moment)
            granted.append(moment)
    assert most_in_any_window(granted, 10.0) <= 5


def test_a_lower_helpdesk_limit_lowers_the_budget_with_the_same_margin() -> None:
    budget = window(400, margin=0.9)
    budget.learn(RateLimitFeedback(limit=200, remaining=199), now=0.0)
    assert budget.limit == 180
    budget.learn(RateLimitFeedback(limit=2500), now=1.0)
    assert budget.limit == 360  # a higher helpdesk limit never raises the plan's


def test_remaining_requests_cap_the_grants_until_the_helpdesk_resets() -> None:
    budget = window(1000, margin=0.9)
    # the helpdesk allows 100 a minute and has 15 left; 10 of those are its margin
    budget.learn(RateLimitFeedback(limit=100, remaining=15, reset_seconds=20), now=0.0)
    assert grant_all(budget, 0.0) == 5
    assert budget.delay(0.0) == 20.0
    assert budget.delay(20.0) == 0.0  # reset: the window limit applies again


def test_remaining_without_a_reset_holds_for_one_window() -> None:
    budget = window(10, seconds=60.0)
    budget.learn(RateLimitFeedback(remaining=0), now=5.0)
    assert budget.delay(5.0) == 60.0


def test_a_429_pauses_everything_for_retry_after_or_the_default() -> None:
    budget = window(None)
    budget.learn(RateLimitFeedback(throttled=True, retry_after=7.0), now=100.0)
    assert budget.delay(100.0) == 7.0
    assert budget.delay(107.0) == 0.0
    budget.learn(RateLimitFeedback(throttled=True), now=200.0)
    assert budget.delay(200.0) == BudgetConfig().default_pause_seconds


def test_a_shorter_pause_never_shortens_a_longer_one() -> None:
    budget = window(None)
    budget.pause(30.0, now=0.0)
    budget.pause(5.0, now=1.0)
    assert budget.delay(10.0) == 20.0


def test_used_ratio_follows_the_window() -> None:
    budget = window(4, seconds=10.0)
    budget.grant(0.0)
    budget.grant(1.0)
    assert budget.used_ratio(2.0) == 0.5
    assert budget.used_ratio(10.5) == 0.25
    assert window(None).used_ratio(0.0) == 0.0


def test_the_fallback_share_divides_the_plan_between_processes() -> None:
    config = BudgetConfig(400, expected_processes=4)
    assert config.per_process().requests_per_minute == 100
    assert config.per_process().limit == 90
    assert BudgetConfig(None, expected_processes=4).per_process().limit is None


def test_a_429_with_nothing_remaining_holds_only_until_retry_after() -> None:
    """Zendesk's 429 carries ``X-Rate-Limit-Remaining: 0`` and a Retry-After but no reset: the
    budget waits for the Retry-After, not for a whole window."""
    budget = window(700, seconds=60.0)
    budget.learn(
        RateLimitFeedback(limit=700, remaining=0, throttled=True, retry_after=3.0), now=10.0
    )
    assert budget.delay(10.0) == 3.0
    assert budget.delay(13.0) == 0.0
