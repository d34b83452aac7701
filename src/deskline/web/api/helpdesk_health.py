"""The helpdesk connection's health for ``GET /api/status`` (F32).

``state`` is one of:

- ``disabled`` — the admin turned the integration off (jobs wait);
- ``needs_reauth`` — the helpdesk refused deskline's authorization (jobs wait for the admin);
- ``authorizing`` — connected for the first time, the OAuth callback has not come back yet;
- ``retrying`` — the latest request of the last ``RECENT_MINUTES`` minutes asked to retry (429,
  5xx, timeouts): jobs are being retried with backoff;
- ``active`` — otherwise.

``recent_requests`` counts those requests by outcome; ``budget`` is the connection's request
budget use in this process (shared through Redis when configured).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.budget import BudgetRegistry
from deskline.integration.connectors import budget_name
from deskline.integration.records import ConnectionStatus, current_connection
from deskline.store.models import HelpdeskRequestLog
from deskline.store.repositories.request_log import recent_requests
from deskline.store.types import utcnow

RECENT_MINUTES = 15


class RequestSummary(BaseModel):
    at: datetime
    scenario: str
    outcome: str
    status: int | None
    excerpt: str | None


class BudgetUse(BaseModel):
    name: str
    used_ratio: float
    shared: bool
    degraded: bool


class HelpdeskHealth(BaseModel):
    connection_id: int
    name: str
    template_key: str
    state: str
    status_detail: str | None
    recent_requests: dict[str, int]
    last_request: RequestSummary | None
    last_failure: RequestSummary | None
    budget: BudgetUse | None


async def helpdesk_health(
    session: AsyncSession, budgets: BudgetRegistry | None
) -> HelpdeskHealth | None:
    """The connected helpdesk's health (None: no helpdesk is connected)."""
    row = await current_connection(session)
    if row is None:
        return None
    recent = await recent_requests(session, row.id, utcnow() - timedelta(minutes=RECENT_MINUTES))
    if not row.enabled:
        state = "disabled"
    elif row.status == ConnectionStatus.NEEDS_REAUTH:
        state = "needs_reauth"
    elif row.status == ConnectionStatus.AUTHORIZING:
        state = "authorizing"
    elif recent.last is not None and recent.last.outcome == "retry":
        state = "retrying"
    else:
        state = "active"
    return HelpdeskHealth(
        connection_id=row.id,
        name=row.name,
        template_key=row.template_key,
        state=state,
        status_detail=row.status_detail,
        recent_requests=recent.by_outcome,
        last_request=_summary(recent.last),
        last_failure=_summary(recent.last_failure),
        budget=_budget(budgets, budget_name(row.id)),
    )


def _summary(row: HelpdeskRequestLog | None) -> RequestSummary | None:
    if row is None:
        return None
    return RequestSummary(
        at=row.at,
        scenario=row.scenario,
        outcome=row.outcome,
        status=row.status_code,
        excerpt=row.excerpt,
    )


def _budget(budgets: BudgetRegistry | None, name: str) -> BudgetUse | None:
    budget = budgets.get(name) if budgets is not None else None
    if budget is None or budgets is None:
        return None
    return BudgetUse(
        name=name,
        used_ratio=round(budget.used_ratio(), 4),
        shared=budgets.shared,
        degraded=bool(getattr(budget, "degraded", False)),
    )
