"""The tracker tick with several processes: a call is decided (and its after-call work
enqueued by the listener) once, by whichever process gets there first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.calls.tracker import CallTracker, TrackerUpdate
from deskline.ingest import EventIngestor
from deskline.store.db import Database
from deskline.store.repositories import calls as call_rows
from tests.runtime.test_ingestors import answered_call


class CountingListener:
    def __init__(self) -> None:
        self.ended: list[str] = []

    async def __call__(self, session: AsyncSession, update: TrackerUpdate) -> None:
        if update.ended:
            self.ended.append(update.call.call_id)


async def test_two_processes_restoring_a_call_decide_it_once(db: Database) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    first = EventIngestor(db, CallTracker(settle_seconds=1), "office")
    await first(answered_call("c1", start))  # type: ignore[arg-type]  # hung up, settling

    listeners = [CountingListener(), CountingListener()]
    processes = [
        EventIngestor(db, CallTracker(settle_seconds=1), "office", listener=listener)
        for listener in listeners
    ]
    for process in processes:
        assert await process.restore() == 1  # both took the call in flight at start

    later = datetime.now(UTC)
    saved = [len(await process.tick(later)) for process in processes]

    assert saved == [1, 0]
    assert [listener.ended for listener in listeners] == [["c1"], []]
    async with db.read() as session:
        stored = await call_rows.get_call(session, "office", "c1")
    assert stored is not None and stored.status == "answered"
    # the second process now holds the decided call: nothing is left for later ticks
    assert await processes[1].tick(later + timedelta(hours=7)) == []
    assert processes[1].tracker.in_flight() == []
