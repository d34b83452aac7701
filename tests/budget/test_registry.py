"""Budgets per connection from the settings: local by default, shared with Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from deskline.budget import BudgetRegistry, LocalBudget, SharedBudget, SharedOptions
from deskline.observability.metrics import REGISTRY
from deskline.settings import load_settings
from tests.budget.conftest import redis_url


async def test_without_redis_each_connection_gets_one_local_budget(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, budget_max_wait_seconds=3, budget_safety_margin=0.8)
    budgets = BudgetRegistry.from_settings(settings)
    first = budgets.budget_for("helpdesk:1", 400)
    assert isinstance(first, LocalBudget)
    assert first.config.limit == 320 and first.config.max_wait_seconds == 3
    assert budgets.budget_for("helpdesk:1", 400) is first
    replaced = budgets.budget_for("helpdesk:1", 700)  # the plan changed
    assert replaced is not first and budgets.get("helpdesk:1") is replaced
    await replaced.acquire()
    ratio = REGISTRY.get_sample_value("deskline_budget_used_ratio", {"connection": "helpdesk:1"})
    assert ratio == pytest.approx(1 / 560)  # 80 % of 700
    await budgets.aclose()


@pytest.mark.redis
async def test_with_redis_budgets_are_shared(redis: Redis, key_prefix: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, redis_url=redis_url(), budget_expected_processes=4)
    budgets = BudgetRegistry.from_settings(settings)
    budgets.options = SharedOptions(key_prefix=key_prefix)
    budget = budgets.budget_for("helpdesk:2", 400)
    assert isinstance(budget, SharedBudget) and budgets.shared
    assert budget.fallback.config.limit == 90  # 400 / 4 processes, 90 %
    grant = await budget.acquire()
    assert grant.waited < 1 and await redis.zcard(budget.keys["window"]) == 1
    await budgets.aclose()
