"""The turn-taking of one process's SQLite write transactions, urgent ones first.

SQLite has a single writer, so a process's write transactions queue for it. A ring event's
transaction (which decides the screen pop) must not wait behind a queue of outbox jobs
finishing: :class:`WriterLock` serves urgent waiters before the others, each group in arrival
order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class WriterLock:
    """An asyncio lock whose waiters are served urgent first, then first come first served."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    def __repr__(self) -> str:
        waiting = len(self._urgent) + len(self._normal)
        return f"WriterLock(held={self._held}, waiting={waiting})"

    def locked(self) -> bool:
        return self._held

    @asynccontextmanager
    async def turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._normal:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed the lock, then cancelled: pass it on
            else:
                queue.remove(waiter)
            raise

    def _release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the lock passes to it, still held
                    return
        self._held = False
