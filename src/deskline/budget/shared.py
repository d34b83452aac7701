"""The budget shared by every deskline process through Redis, with a local fallback.

Each request asks the ACQUIRE script (:mod:`deskline.budget.redis_scripts`) until it is
granted: the script keeps the sliding window, the queue of waiters ordered by priority, the
429 pause and the helpdesk's credit in Redis, so all processes together stay within the
budget. Between asks a waiter sleeps for the time the script says a slot frees (bounded).

When Redis cannot be reached the budget degrades to a :class:`LocalBudget` with the budget
divided by ``expected_processes``, logs that once, and asks Redis again every
``probe_seconds``; when Redis answers it switches back and logs that once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from deskline.budget.config import BudgetConfig, margin_of
from deskline.budget.errors import BudgetExhausted
from deskline.budget.feedback import RateLimitFeedback
from deskline.budget.local import LocalBudget
from deskline.budget.priority import Priority
from deskline.budget.protocol import Grant
from deskline.budget.redis_scripts import ACQUIRE, LEARN, LEAVE
from deskline.budget.window import credit_of, pause_of
from deskline.observability.metrics import BUDGET_DEGRADED, BUDGET_EXHAUSTED, BUDGET_WAIT_SECONDS

log = logging.getLogger(__name__)

_UNAVAILABLE = (RedisError, OSError, asyncio.TimeoutError)
_HLIMIT_TTL_MS = 3_600_000


@dataclass(frozen=True)
class SharedOptions:
    """Timings of the shared budget (tests shorten them)."""

    key_prefix: str = "deskline:budget"
    min_poll_seconds: float = 0.01
    max_poll_seconds: float = 0.5
    #: a waiter that has not asked for this long is dropped from the queue (its process died)
    stale_seconds: float = 5.0
    #: while degraded, how often Redis is tried again
    probe_seconds: float = 5.0


class SharedBudget:
    """A budget shared through Redis; falls back to a per-process share when Redis is down."""

    def __init__(
        self,
        name: str,
        config: BudgetConfig,
        redis: Redis,
        options: SharedOptions | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.config = config
        self.options = options or SharedOptions()
        self._redis = redis
        self._clock = clock
        self.fallback = LocalBudget(name, config.per_process(), clock=clock)
        base = f"{self.options.key_prefix}:{{{name}}}"
        self._keys = {k: f"{base}:{k}" for k in ("window", "waiters", "seen", "pause", "credit")}
        self._keys["hlimit"] = f"{base}:hlimit"
        self._acquire = redis.register_script(ACQUIRE)
        self._leave = redis.register_script(LEAVE)
        self._learn = redis.register_script(LEARN)
        self.degraded = False
        self._next_probe = 0.0
        self._last_ratio = (0.0, -1.0)  # (ratio, when)

    def __repr__(self) -> str:
        state = "degraded" if self.degraded else "shared"
        return f"SharedBudget({self.name!r}, limit={self.config.limit}, {state})"

    @property
    def keys(self) -> dict[str, str]:
        return dict(self._keys)

    async def acquire(
        self, priority: Priority = Priority.JOURNAL, *, max_wait: float | None = None
    ) -> Grant:
        priority = Priority(priority)
        limit = self.config.max_wait_seconds if max_wait is None else max_wait
        started = self._clock()
        if self.degraded and not await self._redis_is_back():
            return await self.fallback.acquire(priority, max_wait=limit)
        waiter = f"{int(time.time() * 1000):013d}:{uuid.uuid4().hex}"
        granted = False
        try:
            while True:
                reply = await self._acquire(
                    keys=self._key_list(), args=self._args(waiter, priority)
                )
                ok, wait_ms, used, window_limit, now_ms = (int(x) for x in reply)
                self._note_ratio(used, window_limit)
                if ok:
                    granted = True
                    waited = self._clock() - started
                    BUDGET_WAIT_SECONDS.labels(priority.label).observe(waited)
                    return Grant(priority, waited, now_ms / 1000)
                left = limit - (self._clock() - started)
                if wait_ms / 1000 > left:
                    BUDGET_EXHAUSTED.labels(self.name, priority.label).inc()
                    raise BudgetExhausted(self.name, max(0.1, wait_ms / 1000), int(priority))
                await asyncio.sleep(self._poll_interval(wait_ms / 1000, left))
        except _UNAVAILABLE as exc:
            self._degrade(exc)
            left = max(0.0, limit - (self._clock() - started))
            return await self.fallback.acquire(priority, max_wait=left)
        finally:
            if not granted and not self.degraded:
                await self._forget(waiter)

    async def learn(self, feedback: RateLimitFeedback) -> None:
        if feedback.empty:
            return
        self.fallback.learn_now(feedback)  # the fallback knows of a pause when Redis fails
        if self.degraded:
            return
        credit = credit_of(feedback.remaining, feedback.limit, self.config)
        reset = feedback.reset_seconds
        credit_ms = int(1000 * (self.config.window_seconds if reset is None else reset))
        hlimit = margin_of(feedback.limit, self.config.safety_margin) if feedback.limit else None
        pause_ms = int(1000 * pause_of(feedback, self.config)) if feedback.throttled else 0
        args = [
            pause_ms,
            -1 if credit is None else credit,
            credit_ms,
            -1 if hlimit is None else hlimit,
            _HLIMIT_TTL_MS,
        ]
        keys = [self._keys["pause"], self._keys["credit"], self._keys["hlimit"]]
        try:
            await self._learn(keys=keys, args=args)
        except _UNAVAILABLE as exc:
            self._degrade(exc)

    def used_ratio(self) -> float:
        if self.degraded:
            return self.fallback.used_ratio()
        ratio, when = self._last_ratio
        if when < 0 or self._clock() - when > self.config.window_seconds:
            return 0.0
        return ratio

    async def aclose(self) -> None:
        await self.fallback.aclose()

    async def reset(self) -> None:
        """Forget everything this budget stored in Redis (tests, an operator's reset)."""
        await self._redis.delete(*self._keys.values())

    # --- internals ---------------------------------------------------------------------------

    def _key_list(self) -> list[str]:
        return [self._keys[k] for k in ("window", "waiters", "seen", "pause", "credit", "hlimit")]

    def _args(self, waiter: str, priority: Priority) -> list[str | int]:
        limit = self.config.limit
        return [
            waiter,
            int(priority),
            -1 if limit is None else limit,
            int(self.config.window_seconds * 1000),
            int(self.options.stale_seconds * 1000),
        ]

    def _poll_interval(self, wait: float, left: float) -> float:
        interval = min(max(wait, self.options.min_poll_seconds), self.options.max_poll_seconds)
        return max(0.0, min(interval, left))

    def _note_ratio(self, used: int, limit: int) -> None:
        ratio = 0.0 if limit <= 0 else min(1.0, used / limit)
        self._last_ratio = (ratio, self._clock())

    async def _forget(self, waiter: str) -> None:
        with contextlib.suppress(*_UNAVAILABLE):
            await self._leave(keys=[self._keys["waiters"], self._keys["seen"]], args=[waiter])

    def _degrade(self, exc: BaseException) -> None:
        self._next_probe = self._clock() + self.options.probe_seconds
        if self.degraded:
            return
        self.degraded = True
        BUDGET_DEGRADED.labels(self.name).set(1)
        log.warning(
            "budget %s: Redis is unavailable (%s); using this process's share, %s requests per "
            "%g s, until it returns",
            self.name,
            type(exc).__name__,
            self.fallback.config.limit or "unlimited",
            self.config.window_seconds,
        )

    async def _redis_is_back(self) -> bool:
        if self._clock() < self._next_probe:
            return False
        try:
            await self._redis.ping()
        except _UNAVAILABLE:
            self._next_probe = self._clock() + self.options.probe_seconds
            return False
        self.degraded = False
        BUDGET_DEGRADED.labels(self.name).set(0)
        log.info("budget %s: Redis is back; the budget is shared again", self.name)
        return True
