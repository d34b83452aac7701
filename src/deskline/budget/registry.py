"""One budget per helpdesk connection and process, built from the settings.

::

    budgets = BudgetRegistry.from_settings(settings)      # shared through Redis if configured
    budget = budgets.budget_for("helpdesk:3", requests_per_minute=400)
    connector = Connector(template, fields, store, budget=budget)
    ...
    await budgets.aclose()

Asking again for the same name returns the same budget; a changed plan (another
``requests_per_minute``) replaces it. Every budget reports ``deskline_budget_used_ratio``.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from deskline.budget.config import BudgetConfig
from deskline.budget.local import LocalBudget
from deskline.budget.protocol import RequestBudget
from deskline.budget.shared import SharedBudget, SharedOptions
from deskline.observability.metrics import BUDGET_USED_RATIO
from deskline.settings import Settings

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.5


def redis_client(url: str, timeout: float = REDIS_TIMEOUT_SECONDS) -> Redis:
    """A Redis client that fails fast (no retries): the budget has its own fallback."""
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        decode_responses=False,
    )


class BudgetRegistry:
    """The request budgets of this process, by connection name."""

    def __init__(
        self,
        defaults: BudgetConfig | None = None,
        redis: Redis | None = None,
        options: SharedOptions | None = None,
        *,
        owns_redis: bool = False,
    ) -> None:
        self.defaults = defaults or BudgetConfig()
        self.redis = redis
        self.options = options or SharedOptions()
        self._owns_redis = owns_redis
        self._budgets: dict[str, RequestBudget] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> BudgetRegistry:
        defaults = BudgetConfig(
            safety_margin=settings.budget_safety_margin,
            max_wait_seconds=settings.budget_max_wait_seconds,
            expected_processes=settings.budget_expected_processes,
        )
        redis = redis_client(settings.redis_url) if settings.redis_url else None
        return cls(defaults, redis, owns_redis=redis is not None)

    @property
    def shared(self) -> bool:
        return self.redis is not None

    def budget_for(self, name: str, requests_per_minute: int | None) -> RequestBudget:
        """The budget of connection ``name`` with the plan's ``requests_per_minute``
        (``None``: no configured limit; headers and 429s still apply)."""
        existing = self._budgets.get(name)
        config = replace(self.defaults, requests_per_minute=requests_per_minute)
        if existing is not None and _config_of(existing) == config:
            return existing
        budget: RequestBudget
        if self.redis is not None:
            budget = SharedBudget(name, config, self.redis, self.options)
        else:
            budget = LocalBudget(name, config)
        self._budgets[name] = budget
        BUDGET_USED_RATIO.labels(name).set_function(budget.used_ratio)
        if existing is not None:
            log.info("budget %s: now %s requests per minute", name, requests_per_minute)
        return budget

    def get(self, name: str) -> RequestBudget | None:
        return self._budgets.get(name)

    async def aclose(self) -> None:
        for budget in self._budgets.values():
            await budget.aclose()
        self._budgets.clear()
        if self.redis is not None and self._owns_redis:
            await self.redis.aclose()


def _config_of(budget: RequestBudget) -> BudgetConfig | None:
    config = getattr(budget, "config", None)
    return config if isinstance(config, BudgetConfig) else None
