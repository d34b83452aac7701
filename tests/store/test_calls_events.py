"""Stored events read back as events; calls listed newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskline.calls.events import CallHungUp, CallOffered, LegRinging
from deskline.calls.model import Call, CallPhase, Party
from deskline.store.db import Database
from deskline.store.repositories import calls as call_rows
from deskline.store.repositories import events as event_rows

T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


async def test_events_round_trip_and_duplicates_are_skipped(db: Database) -> None:
    events = [
        CallOffered(
            call_id="c1", at=T0, key="k1", caller=Party(number="+15551234567"), callee=Party()
        ),
        LegRinging(call_id="c1", at=T0 + timedelta(seconds=1), key="k2", extension="2001"),
        LegRinging(call_id="c1", at=T0 + timedelta(seconds=1), key="k2", extension="2001"),
    ]
    async with db.transaction() as session:
        assert await event_rows.insert_new_events(session, "pbx", events) == events[:2]
    async with db.transaction() as session:
        hangup = CallHungUp(call_id="c1", at=T0.replace(tzinfo=None), key="k3")  # naive: UTC
        assert await event_rows.insert_new_events(session, "pbx", [events[0], hangup]) == [hangup]

    async with db.read() as session:
        stored = await event_rows.events_of_call(session, "pbx", "c1")
        keys = await event_rows.keys_by_call(session, "pbx", ["c1", "c2"])
    assert stored[:2] == events[:2]
    assert stored[2] == hangup  # stored as delivered; naive times are taken as UTC
    assert keys == {"c1": ["k1", "k2", "k3"]}


async def test_calls_are_upserted_and_listed_newest_first(db: Database) -> None:
    async with db.transaction() as session:
        await call_rows.upsert_calls(
            session,
            "pbx",
            [
                Call(call_id="a", caller=Party(number="+1555000001"), started_at=T0),
                Call(call_id="b", caller=Party(number="+1555000002"), started_at=T0),
            ],
        )
    async with db.transaction() as session:
        ended = Call(call_id="a", caller=Party(number="+1555000001"), phase=CallPhase.ENDED)
        await call_rows.upsert_calls(session, "pbx", [ended])

    async with db.read() as session:
        recent = await call_rows.recent_calls(session)
        in_flight = await call_rows.in_flight_calls(session, "pbx")
        by_number = await call_rows.recent_calls(session, number="+1555000001")
        older = await call_rows.recent_calls(session, before_id=recent[0].id)
    assert [r.pbx_call_id for r in recent] == ["b", "a"]
    assert recent[1].phase == "ended"
    assert [c.call_id for c in in_flight] == ["a", "b"]  # neither has a status yet
    assert [r.pbx_call_id for r in by_number] == ["a"]
    assert [r.pbx_call_id for r in older] == ["a"]
