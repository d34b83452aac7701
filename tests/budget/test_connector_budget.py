# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""The connector under a budget, against the Zendesk emulator over real HTTP: requests wait
for the budget at their priority, headers and 429s reach it, and requests are counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from deskline.budget import (
    BudgetConfig,
    BudgetExhausted,
    Grant,
    LocalBudget,
    Priority,
    RateLimitFeedback,
    request_priority,
)
from deskline.connector import Connector
from deskline.errors import HelpdeskError
from deskline.observability.metrics import REGISTRY
from tests.connector.zendesk_helpers import ZendeskAccount, connect_zendesk, seed_zendesk
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import zendesk, zendesk_server  # noqa: F401

CALLER = "+15135557611"


class RecordingBudget(LocalBudget):
    """An unlimited in-process budget that remembers what it was asked and told."""

    def __init__(self) -> None:
        super().__init__("helpdesk:zendesk", BudgetConfig(None))
        self.priorities: list[Priority] = []
        self.learned: list[RateLimitFeedback] = []

    async def acquire(
        self, priority: Priority = Priority.JOURNAL, *, max_wait: float | None = None
    ) -> Grant:
        self.priorities.append(priority)
        return await super().acquire(priority, max_wait=max_wait)

    async def learn(self, feedback: RateLimitFeedback) -> None:
        self.learned.append(feedback)
        await super().learn(feedback)


@pytest.fixture
def account(zendesk: RunningEmulator) -> ZendeskAccount:
    return seed_zendesk(zendesk)


@pytest.fixture
async def desk(zendesk: RunningEmulator, account: ZendeskAccount) -> AsyncIterator[Connector]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        connector = await connect_zendesk(zendesk, account, http)
        yield connector


def api_requests(zendesk: RunningEmulator) -> int:
    return len([r for r in zendesk.emulator.requests() if r.path.startswith("/api/")])


async def test_requests_wait_for_the_budget_at_the_priority_asked(desk: Connector) -> None:
    budget = RecordingBudget()
    desk.client.budget = budget
    await desk.lookup(CALLER, priority=Priority.SCREEN_POP)
    assert budget.priorities and set(budget.priorities) == {Priority.SCREEN_POP}
    budget.priorities.clear()
    await desk.lookup(CALLER)
    assert set(budget.priorities) == {Priority.JOURNAL}  # the default
    budget.priorities.clear()
    with request_priority(Priority.BACKGROUND):  # as the worker sets it from the job kind
        await desk.search(CALLER)
    assert set(budget.priorities) == {Priority.BACKGROUND}


async def test_the_helpdesks_rate_limit_headers_lower_the_budget(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    zendesk.emulator.configure(rate_limit_per_minute=50)
    budget = LocalBudget("helpdesk:zendesk", BudgetConfig(400, safety_margin=0.9))
    desk.client.budget = budget
    await desk.lookup(CALLER, priority=Priority.SCREEN_POP)
    assert budget.window.limit == 45  # 90 % of what Zendesk says, not of the plan's 400


async def test_a_429_pauses_the_connection_and_nothing_more_is_sent(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    budget = RecordingBudget()
    desk.client.budget = budget
    labels = {"scenario": "SyncContactAuto", "outcome": "retry", "status": "429"}
    counted = REGISTRY.get_sample_value("deskline_helpdesk_requests_total", labels) or 0
    zendesk.emulator.start_429_storm(requests=1, retry_after=30)
    with pytest.raises(HelpdeskError) as failed:
        await desk.lookup(CALLER)
    assert failed.value.outcome == "retry"
    assert any(f.throttled and f.retry_after == 30 for f in budget.learned)
    sent = api_requests(zendesk)
    with pytest.raises(BudgetExhausted) as held:
        await desk.create_ticket({"CallId": "c-1"}, priority=Priority.TICKET)
    assert 25 < held.value.retry_after <= 30
    assert api_requests(zendesk) == sent  # held back, not sent
    assert REGISTRY.get_sample_value("deskline_helpdesk_requests_total", labels) == counted + 1


async def test_successful_requests_are_counted_and_timed(desk: Connector) -> None:
    labels = {"scenario": "SyncContactAuto", "outcome": "success", "status": "200"}
    before = REGISTRY.get_sample_value("deskline_helpdesk_requests_total", labels) or 0
    timed = REGISTRY.get_sample_value("deskline_helpdesk_request_seconds_count") or 0
    await desk.lookup(CALLER)
    assert (REGISTRY.get_sample_value("deskline_helpdesk_requests_total", labels) or 0) > before
    assert (REGISTRY.get_sample_value("deskline_helpdesk_request_seconds_count") or 0) > timed


async def test_a_ring_time_block_waits_only_as_long_as_it_says(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    full = LocalBudget("helpdesk:zendesk", BudgetConfig(1, window_seconds=60, max_wait_seconds=60))
    desk.client.budget = full
    await desk.lookup(CALLER)  # uses the only request of this minute
    sent = api_requests(zendesk)
    with request_priority(Priority.SCREEN_POP, max_wait=0.05), pytest.raises(BudgetExhausted):
        await asyncio.wait_for(desk.lookup(CALLER), 5)
    assert api_requests(zendesk) == sent
