"""Which requests go first when the budget is short: the priority of a request.

============  =====  ======================================================================
priority      value  used for
============  =====  ======================================================================
SCREEN_POP    0      ring-time contact lookups, the agent's manual search (someone waits)
TICKET        1      creating contacts and tickets (the agent will look for the ticket)
JOURNAL       2      call journals, recording links, anything else (the default)
BACKGROUND    3      contact index refresh, user sync, re-validation of cached entries
============  =====  ======================================================================

A lower value is served first; requests of one priority are served in arrival order; lower
priorities are delayed, never dropped. The priority reaches the HTTP client through a context
variable, so a connector call sets it once for all the requests of a scenario::

    with request_priority(Priority.TICKET):
        await connector.create_ticket(...)

(or ``connector.create_ticket(..., priority=Priority.TICKET)``, which does the same).
``request_priority(Priority.SCREEN_POP, max_wait=2.0)`` also shortens how long requests inside
the block may wait for the budget before :class:`~deskline.budget.BudgetExhausted`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import IntEnum


class Priority(IntEnum):
    SCREEN_POP = 0
    TICKET = 1
    JOURNAL = 2
    BACKGROUND = 3

    @property
    def label(self) -> str:
        """The metric label: ``screen_pop``, ``ticket``, ``journal``, ``background``."""
        return self.name.lower()


DEFAULT_PRIORITY = Priority.JOURNAL

#: words in a job kind (``helpdesk.ticket.create``) and the priority they mean, first match wins
_KIND_WORDS: tuple[tuple[tuple[str, ...], Priority], ...] = (
    (("refresh", "sync", "index", "revalidate", "background", "export"), Priority.BACKGROUND),
    (("lookup", "screen_pop", "screenpop", "pop", "search"), Priority.SCREEN_POP),
    (("ticket", "contact"), Priority.TICKET),
    (("journal", "log_call", "call_log", "recording", "note"), Priority.JOURNAL),
)

_current: ContextVar[Priority | None] = ContextVar("deskline_request_priority", default=None)
_max_wait: ContextVar[float | None] = ContextVar("deskline_budget_max_wait", default=None)


def priority_for_job_kind(kind: str) -> Priority:
    """The priority of the requests of an outbox job of ``kind`` (see the table above):
    the parts of the kind, split on ``.``, ``-`` and ``:``, and their ``_``-separated words
    (``helpdesk.create_ticket`` → ``create_ticket``, ``create``, ``ticket``) are matched in
    table order."""
    parts = kind.lower().replace("-", ".").replace(":", ".").split(".")
    words = set(parts).union(*(part.split("_") for part in parts))
    for keys, priority in _KIND_WORDS:
        if words.intersection(keys):
            return priority
    return DEFAULT_PRIORITY


def current_priority() -> Priority:
    """The priority set by the innermost :func:`request_priority` (default: JOURNAL)."""
    priority = _current.get()
    return DEFAULT_PRIORITY if priority is None else priority


def current_max_wait() -> float | None:
    """The budget wait set by the innermost :func:`request_priority` (None: the budget's)."""
    return _max_wait.get()


@contextmanager
def request_priority(
    priority: Priority | int | None, *, max_wait: float | None = None
) -> Iterator[None]:
    """Requests sent inside the block use ``priority`` (``None``: keep the current one) and
    wait at most ``max_wait`` seconds for the budget (``None``: keep the current limit)."""
    priority_token = None if priority is None else _current.set(Priority(priority))
    wait_token = None if max_wait is None else _max_wait.set(max_wait)
    try:
        yield
    finally:
        if wait_token is not None:
            _max_wait.reset(wait_token)
        if priority_token is not None:
            _current.reset(priority_token)
