"""What every budget backend offers: :class:`RequestBudget`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from deskline.budget.feedback import RateLimitFeedback
from deskline.budget.priority import Priority


@dataclass(frozen=True)
class Grant:
    """Permission for one request: its priority, how long it waited, when it was granted
    (on the budget's clock: ``time.monotonic`` in-process, Redis server time when shared)."""

    priority: Priority
    waited: float
    at: float


@runtime_checkable
class RequestBudget(Protocol):
    """The request budget of one helpdesk connection."""

    name: str

    async def acquire(
        self, priority: Priority = Priority.JOURNAL, *, max_wait: float | None = None
    ) -> Grant:
        """Wait until a request of ``priority`` may go (higher priorities first, arrival
        order within one); raise :class:`~deskline.budget.BudgetExhausted` instead when it
        would wait longer than ``max_wait`` (default: the configured maximum)."""
        ...

    async def learn(self, feedback: RateLimitFeedback) -> None:
        """Narrow the budget by what a response said (headers, 429 Retry-After)."""
        ...

    def used_ratio(self) -> float:
        """Share of the budget used in the current window (0.0 when unlimited)."""
        ...

    async def aclose(self) -> None:
        """Release what the budget holds (connections, tasks)."""
        ...
