"""The arithmetic of one budget, without waiting or I/O: a sliding-window log of grants.

At most ``limit`` grants fall in any interval of ``window`` seconds (a grant at ``t`` counts
until ``t + window``). The helpdesk's answers narrow it further:

- a lower ``X-Rate-Limit`` lowers the limit (with the same safety margin);
- ``remaining`` sets a *credit*: at most ``remaining - reserve`` more grants until the
  helpdesk's window resets, the reserve being the margin left to others;
- a 429 pauses every grant until its ``Retry-After``.

Times are plain floats from the caller's clock, so tests drive it without sleeping.
"""

from __future__ import annotations

from collections import deque

from deskline.budget.config import BudgetConfig, margin_of
from deskline.budget.feedback import RateLimitFeedback

MIN_WAIT_SECONDS = 1e-6
"""The shortest wait :meth:`SlidingWindow.delay` answers for a full window."""


class SlidingWindow:
    """The grants of the last window and what the helpdesk said; decides who may go when."""

    def __init__(self, config: BudgetConfig) -> None:
        self.config = config
        self.window = config.window_seconds
        self._grants: deque[float] = deque()
        self.header_limit: int | None = None  # the helpdesk's limit, margin applied
        self._helpdesk_limit: int | None = None  # as the helpdesk said it
        self._credit: int | None = None
        self._credit_until = 0.0
        self.paused_until = 0.0

    @property
    def limit(self) -> int | None:
        """The limit in force: the configured one, lowered by what the helpdesk said."""
        limits = [x for x in (self.config.limit, self.header_limit) if x is not None]
        return min(limits) if limits else None

    def _prune(self, now: float) -> None:
        horizon = now - self.window
        while self._grants and self._grants[0] <= horizon:
            self._grants.popleft()
        if self._credit is not None and now >= self._credit_until:
            self._credit = None

    def used(self, now: float) -> int:
        self._prune(now)
        return len(self._grants)

    def delay(self, now: float, ahead: int = 0) -> float:
        """Seconds until a grant is possible for a request with ``ahead`` requests before it
        (0: now)."""
        self._prune(now)
        if now < self.paused_until:
            return self.paused_until - now
        if self._credit is not None and self._credit <= ahead:
            return self._credit_until - now
        limit = self.limit
        if limit is None:
            return 0.0
        needed = len(self._grants) - limit + ahead  # grants that must expire first
        if needed < 0:
            return 0.0
        if needed >= len(self._grants):  # beyond what is in the window now
            rounds = needed // max(1, limit)
            return self.window * (rounds + 1)
        # that grant is still in the window (pruning keeps exactly those after now - window),
        # so the wait is never 0 — even where the float sum rounds it to 0 (a grant at 3e-35
        # with a 10 s window: 3e-35 + 10 - 10 == 0.0, yet at 10.0 it still counts)
        return max(self._grants[needed] + self.window - now, MIN_WAIT_SECONDS)

    def grant(self, now: float) -> None:
        """Count a request that goes now (call only when :meth:`delay` is 0)."""
        self._prune(now)
        self._grants.append(now)
        if self._credit is not None:
            self._credit -= 1

    def used_ratio(self, now: float) -> float:
        limit = self.limit
        return 0.0 if not limit else min(1.0, self.used(now) / limit)

    def pause(self, seconds: float, now: float) -> None:
        """No grants before ``now + seconds`` (an earlier end never shortens a pause)."""
        self.paused_until = max(self.paused_until, now + max(0.0, seconds))

    def learn(self, feedback: RateLimitFeedback, now: float) -> None:
        """Narrow the budget by what a response said."""
        if feedback.limit is not None and feedback.limit > 0:
            self._helpdesk_limit = feedback.limit
            self.header_limit = margin_of(feedback.limit, self.config.safety_margin)
        credit = credit_of(feedback.remaining, self._helpdesk_limit, self.config)
        if credit is not None:
            self._credit = credit
            reset = feedback.reset_seconds
            if reset is None and feedback.throttled:
                # a 429 says when requests go through again: its Retry-After ends the window
                reset = pause_of(feedback, self.config)
            self._credit_until = now + (self.window if reset is None else reset)
        if feedback.throttled:
            self.pause(pause_of(feedback, self.config), now)


def credit_of(
    remaining: int | None, helpdesk_limit: int | None, config: BudgetConfig
) -> int | None:
    """How many more requests may go before the helpdesk's window resets, when it said
    ``remaining``: all but the reserve (the margin of its limit, or of the configured plan)."""
    if remaining is None:
        return None
    if helpdesk_limit is not None and helpdesk_limit > 0:
        reserve = helpdesk_limit - margin_of(helpdesk_limit, config.safety_margin)
    else:
        reserve = config.reserve
    return max(0, remaining - reserve)


def pause_of(feedback: RateLimitFeedback, config: BudgetConfig) -> float:
    """How long a 429 pauses the connection: its Retry-After, or the configured default."""
    return config.default_pause_seconds if feedback.retry_after is None else feedback.retry_after
