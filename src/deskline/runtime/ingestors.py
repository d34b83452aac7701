"""One event ingestor per PBX connection, shared by its adapter and its webhook route.

Each connection (a *source*, named like the connection) gets its own
:class:`~deskline.calls.tracker.CallTracker`: call ids are only unique within one PBX, and an
ingestor's tick decides the due calls of its own tracker. The calls in flight of a source are
restored from the database the first time its ingestor is asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from deskline.calls.tracker import CallTracker
from deskline.ingest import CallListener, EventIngestor
from deskline.store.db import Database

log = logging.getLogger(__name__)


class IngestorRegistry:
    """The :class:`EventIngestor` of every source, created on first use."""

    def __init__(
        self,
        db: Database,
        *,
        tracker_factory: Callable[[], CallTracker] = CallTracker,
        listener: CallListener | None = None,
        listener_for: Callable[[str], CallListener] | None = None,
    ) -> None:
        self.db = db
        self._tracker_factory = tracker_factory
        self._listener = listener
        self._listener_for = listener_for
        self._ingestors: dict[str, EventIngestor] = {}
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"IngestorRegistry(sources={sorted(self._ingestors)})"

    async def get(self, source: str) -> EventIngestor:
        """The ingestor of ``source``; a new one first restores the calls still in flight."""
        known = self._ingestors.get(source)
        if known is not None:
            return known
        async with self._lock:
            if source not in self._ingestors:
                listener = self._listener_for(source) if self._listener_for else self._listener
                ingestor = EventIngestor(
                    self.db, self._tracker_factory(), source, listener=listener
                )
                restored = await ingestor.restore()
                if restored:
                    log.info("source %s: %d call(s) in flight restored", source, restored)
                self._ingestors[source] = ingestor
            return self._ingestors[source]

    def forget(self, source: str) -> None:
        """Drop a source's ingestor (its connection was deleted)."""
        self._ingestors.pop(source, None)

    async def tick(self) -> int:
        """Decide and store the due calls of every source; returns how many were saved."""
        saved = 0
        for ingestor in list(self._ingestors.values()):
            try:
                saved += len(await ingestor.tick())
            except Exception:
                log.exception("%s: tick failed", ingestor)
        return saved

    async def run_ticks(self, stop: asyncio.Event, interval_seconds: float = 1.0) -> None:
        """:meth:`tick` every ``interval_seconds`` until ``stop`` is set (then once more)."""
        while not stop.is_set():
            await self.tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_seconds)
        await self.tick()
