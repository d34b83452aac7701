"""One ingestor per source, restored from the database, and the tick that decides calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskline.calls.events import CallHungUp, CallOffered, LegAnswered, LegRinging
from deskline.calls.model import Party
from deskline.calls.tracker import CallTracker
from deskline.runtime.ingestors import IngestorRegistry
from deskline.store.db import Database
from deskline.store.repositories import calls as call_rows


def answered_call(call_id: str, start: datetime) -> list[object]:
    at = start
    return [
        CallOffered(
            call_id=call_id,
            at=at,
            key=f"{call_id}-1",
            caller=Party(number="+15551234567"),
            callee=Party(number="2005", is_extension=True),
        ),
        LegRinging(call_id=call_id, at=at, key=f"{call_id}-2", extension="2005"),
        LegAnswered(
            call_id=call_id, at=at + timedelta(seconds=2), key=f"{call_id}-3", extension="2005"
        ),
        CallHungUp(call_id=call_id, at=at + timedelta(seconds=9), key=f"{call_id}-4"),
    ]


async def test_each_source_has_its_own_ingestor_and_ticks_decide_calls(
    sqlite_db: Database,
) -> None:
    registry = IngestorRegistry(sqlite_db, tracker_factory=lambda: CallTracker(settle_seconds=1))
    office = await registry.get("office")
    assert await registry.get("office") is office
    assert await registry.get("branch") is not office

    start = datetime.now(UTC) - timedelta(minutes=5)
    await office(answered_call("c1", start))  # type: ignore[arg-type]
    async with sqlite_db.read() as session:
        stored = await call_rows.get_call(session, "office", "c1")
    assert stored is not None and stored.status is None  # ended, still settling

    assert await registry.tick() == 1
    async with sqlite_db.read() as session:
        stored = await call_rows.get_call(session, "office", "c1")
        assert await call_rows.get_call(session, "branch", "c1") is None
    assert stored is not None and stored.status == "answered"


async def test_a_new_registry_restores_the_calls_in_flight(sqlite_db: Database) -> None:
    first = IngestorRegistry(sqlite_db, tracker_factory=lambda: CallTracker(settle_seconds=1))
    start = datetime.now(UTC) - timedelta(minutes=5)
    await (await first.get("office"))(answered_call("c2", start)[:3])  # type: ignore[arg-type]

    restarted = IngestorRegistry(sqlite_db, tracker_factory=lambda: CallTracker(settle_seconds=1))
    ingestor = await restarted.get("office")
    assert ingestor.tracker.get("c2") is not None
    await ingestor(answered_call("c2", start)[3:])  # type: ignore[arg-type]
    await restarted.tick()
    async with sqlite_db.read() as session:
        stored = await call_rows.get_call(session, "office", "c2")
    assert stored is not None and stored.status == "answered" and stored.answered_by == "2005"
