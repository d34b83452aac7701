"""The one error of the budget: no room within the caller's maximum wait."""

from __future__ import annotations

from deskline.errors import DesklineError


class BudgetExhausted(DesklineError):
    """The request budget has no room for this request within its maximum wait.

    Nothing was sent. ``retry_after`` (seconds) is when to try again; the outbox worker
    reschedules the job for then without counting a failed attempt. Deliberately not a
    :class:`~deskline.errors.HelpdeskError`: code that turns helpdesk failures into job
    failures lets it through.
    """

    def __init__(self, connection: str, retry_after: float, priority: int | None = None) -> None:
        self.connection = connection
        self.retry_after = max(0.0, retry_after)
        self.priority = priority
        super().__init__(
            f"the request budget of {connection} has no room now; "
            f"try again in {self.retry_after:.1f} s"
        )


def budget_wait_of(exc: BaseException) -> BudgetExhausted | None:
    """``exc`` itself or the exception it was raised from, if a :class:`BudgetExhausted`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BudgetExhausted):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
