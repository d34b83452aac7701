"""Request budgets: deskline never sends a helpdesk more requests than its plan allows.

A :class:`RequestBudget` per helpdesk connection grants each request before it is sent
(:meth:`~RequestBudget.acquire`); when demand exceeds the budget, requests wait, served by
:class:`Priority` (screen-pop lookups, tickets, journals, background refresh), delayed and never
dropped. A request that would wait longer than its maximum raises :class:`BudgetExhausted`,
which the outbox worker turns into a reschedule (no failed attempt counted). Responses teach
the budget (:meth:`~RequestBudget.learn`): rate-limit headers lower it, a 429 pauses it.

Two backends: :class:`LocalBudget` (one process) and :class:`SharedBudget` (Redis, shared by
every process, falling back to a per-process share while Redis is down).
:class:`BudgetRegistry` builds the right one from the settings. See docs/operations.md.
"""

from deskline.budget.config import ZENDESK_PLANS, BudgetConfig
from deskline.budget.errors import BudgetExhausted, budget_wait_of
from deskline.budget.feedback import RateLimitFeedback, parse_feedback
from deskline.budget.local import LocalBudget
from deskline.budget.priority import (
    DEFAULT_PRIORITY,
    Priority,
    current_max_wait,
    current_priority,
    priority_for_job_kind,
    request_priority,
)
from deskline.budget.protocol import Grant, RequestBudget
from deskline.budget.registry import BudgetRegistry, redis_client
from deskline.budget.shared import SharedBudget, SharedOptions

__all__ = [
    "DEFAULT_PRIORITY",
    "ZENDESK_PLANS",
    "BudgetConfig",
    "BudgetExhausted",
    "BudgetRegistry",
    "Grant",
    "LocalBudget",
    "Priority",
    "RateLimitFeedback",
    "RequestBudget",
    "SharedBudget",
    "SharedOptions",
    "budget_wait_of",
    "current_max_wait",
    "current_priority",
    "parse_feedback",
    "priority_for_job_kind",
    "redis_client",
    "request_priority",
]
