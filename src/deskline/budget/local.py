"""The in-process budget: an asyncio priority queue in front of a :class:`SlidingWindow`.

A request goes at once when nobody is waiting and the window has room; otherwise it joins a
heap ordered by (priority, arrival) and one dispatcher task grants the head whenever the
window allows, so a screen-pop lookup arriving late still overtakes queued journals.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from deskline.budget.config import BudgetConfig
from deskline.budget.errors import BudgetExhausted
from deskline.budget.feedback import RateLimitFeedback
from deskline.budget.priority import Priority
from deskline.budget.protocol import Grant
from deskline.budget.window import SlidingWindow
from deskline.observability.metrics import BUDGET_EXHAUSTED, BUDGET_WAIT_SECONDS

_MIN_RETRY_AFTER = 0.1


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    future: asyncio.Future[float] = field(compare=False)


class LocalBudget:
    """A budget for one process; ``clock`` must be monotonic (tests may pass their own)."""

    def __init__(
        self,
        name: str,
        config: BudgetConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.config = config
        self.window = SlidingWindow(config)
        self._clock = clock
        self._queue: list[_Waiter] = []
        self._seq = itertools.count()
        self._dispatcher: asyncio.Task[None] | None = None
        self._changed: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"LocalBudget({self.name!r}, limit={self.window.limit}/{self.window.window:g}s)"

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._queue if not w.future.done())

    async def acquire(
        self, priority: Priority = Priority.JOURNAL, *, max_wait: float | None = None
    ) -> Grant:
        priority = Priority(priority)
        limit = self.config.max_wait_seconds if max_wait is None else max_wait
        started = self._clock()
        if not self._queue and self.window.delay(started) <= 0:
            self.window.grant(started)
            return self._granted(priority, 0.0, started)
        if self.window.paused_until - started > limit:
            raise self._exhausted(priority, self.window.paused_until - started)
        waiter = _Waiter(priority, next(self._seq), asyncio.get_running_loop().create_future())
        heapq.heappush(self._queue, waiter)
        self._kick()
        try:
            at = await asyncio.wait_for(asyncio.shield(waiter.future), limit)
        except TimeoutError:
            if not (waiter.future.done() and not waiter.future.cancelled()):
                waiter.future.cancel()
                raise self._exhausted(priority, self._estimate(priority)) from None
            at = waiter.future.result()  # granted as the wait ran out: use it
        except asyncio.CancelledError:
            waiter.future.cancel()
            raise
        return self._granted(priority, max(0.0, at - started), at)

    def take_now(self, priority: Priority = Priority.JOURNAL) -> Grant | None:
        """A grant if one is possible right now without waiting (None otherwise)."""
        now = self._clock()
        if self._queue or self.window.delay(now) > 0:
            return None
        self.window.grant(now)
        return self._granted(Priority(priority), 0.0, now)

    async def learn(self, feedback: RateLimitFeedback) -> None:
        self.learn_now(feedback)

    def learn_now(self, feedback: RateLimitFeedback) -> None:
        if feedback.empty:
            return
        self.window.learn(feedback, self._clock())
        self._kick()  # a credit may have grown, a pause begun: the dispatcher re-plans

    def used_ratio(self) -> float:
        return self.window.used_ratio(self._clock())

    async def aclose(self) -> None:
        for waiter in self._queue:
            waiter.future.cancel()
        self._queue.clear()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher

    # --- internals ---------------------------------------------------------------------------

    def _granted(self, priority: Priority, waited: float, at: float) -> Grant:
        BUDGET_WAIT_SECONDS.labels(priority.label).observe(waited)
        return Grant(priority, waited, at)

    def _exhausted(self, priority: Priority, retry_after: float) -> BudgetExhausted:
        BUDGET_EXHAUSTED.labels(self.name, priority.label).inc()
        return BudgetExhausted(self.name, max(_MIN_RETRY_AFTER, retry_after), int(priority))

    def _estimate(self, priority: Priority) -> float:
        """When a request of ``priority`` could go, counting those queued before it."""
        ahead = sum(1 for w in self._queue if not w.future.done() and w.priority <= priority)
        return self.window.delay(self._clock(), ahead)

    def _kick(self) -> None:
        if self._changed is not None:
            self._changed.set()
        if self._queue and (self._dispatcher is None or self._dispatcher.done()):
            self._changed = asyncio.Event()
            self._dispatcher = asyncio.get_running_loop().create_task(
                self._dispatch(self._changed), name=f"budget-{self.name}"
            )

    async def _dispatch(self, changed: asyncio.Event) -> None:
        while True:
            while self._queue and self._queue[0].future.done():
                heapq.heappop(self._queue)  # gave up or cancelled
            if not self._queue:
                return
            now = self._clock()
            delay = self.window.delay(now)
            if delay <= 0:
                self.window.grant(now)
                heapq.heappop(self._queue).future.set_result(now)
                continue
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), delay)
