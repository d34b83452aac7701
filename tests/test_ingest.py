"""Event ingestion: stored before acknowledged, duplicates dropped, one transaction, restarts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.calls.events import (
    CallDetailRecord,
    CallEvent,
    CallHungUp,
    CallOffered,
    LegAnswered,
    LegEnded,
    LegRinging,
)
from deskline.calls.model import CallPhase, CallStatus, Direction, LegStatus, Party
from deskline.calls.tracker import CallTracker, TrackerUpdate
from deskline.ingest import EventIngestor
from deskline.outbox import enqueue, list_jobs
from deskline.store.db import Database
from deskline.store.models import CallRecord, PbxEvent
from deskline.store.repositories.calls import call_of, get_call, upsert_calls

T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def ringing(call_id: str, at: datetime = T0) -> list[CallEvent]:
    return [
        CallOffered(
            call_id=call_id,
            at=at,
            key=f"{call_id}:offer",
            caller=Party(number="+4930123456"),
            callee=Party(number="+4940999000"),
            direction=Direction.INBOUND,
        ),
        LegRinging(
            call_id=call_id, at=at + timedelta(seconds=1), key=f"{call_id}:ring", extension="2001"
        ),
    ]


def answered_and_over(call_id: str, at: datetime = T0) -> list[CallEvent]:
    return [
        LegAnswered(
            call_id=call_id, at=at + timedelta(seconds=5), key=f"{call_id}:answer", extension="2001"
        ),
        LegEnded(
            call_id=call_id,
            at=at + timedelta(seconds=65),
            key=f"{call_id}:legend",
            extension="2001",
            status=LegStatus.ANSWERED,
        ),
        CallHungUp(call_id=call_id, at=at + timedelta(seconds=65), key=f"{call_id}:hangup"),
    ]


def cdr(call_id: str, at: datetime = T0) -> CallDetailRecord:
    return CallDetailRecord(
        call_id=call_id,
        at=at + timedelta(seconds=66),
        key=f"{call_id}:cdr",
        status=CallStatus.ANSWERED,
    )


@contextlib.contextmanager
def counting_transactions(db: Database) -> Iterator[list[int]]:
    """Counts the write transactions ``db`` opens inside the block (``[count]``)."""
    counted = [0]
    real = db.transaction

    def counting(**options: bool) -> object:
        counted[0] += 1
        return real(**options)

    db.transaction = counting  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        db.transaction = real  # type: ignore[method-assign]


async def _count(db: Database, model: type[PbxEvent] | type[CallRecord]) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _stored_call(db: Database, call_id: str, source: str = "pbx1") -> CallRecord:
    async with db.read() as session:
        record = await get_call(session, source, call_id)
    assert record is not None
    return record


async def test_a_batch_is_stored_and_the_call_upserted(db: Database) -> None:
    ingest = EventIngestor(db, CallTracker(), "pbx1")
    await ingest(ringing("c1"))

    record = await _stored_call(db, "c1")
    assert record.phase == CallPhase.RINGING
    assert record.status is None
    assert record.caller_number == "+4930123456"
    assert record.direction == "inbound"
    assert call_of(record).legs[0].extension == "2001"

    await ingest([*answered_and_over("c1"), cdr("c1")])
    record = await _stored_call(db, "c1")
    assert record.status == CallStatus.ANSWERED
    assert record.answered_by == "2001"
    assert record.ended_at == T0 + timedelta(seconds=65)
    assert await _count(db, PbxEvent) == 6


async def test_redelivered_events_are_dropped(db: Database) -> None:
    seen: list[TrackerUpdate] = []

    async def listener(session: AsyncSession, update: TrackerUpdate) -> None:
        seen.append(update)

    ingest = EventIngestor(db, CallTracker(), "pbx1", listener)
    await ingest(ringing("c1"))
    await ingest(ringing("c1"))  # the PBX did not get our ack and sends again
    await ingest([*ringing("c1"), *answered_and_over("c1")])  # partly new

    assert await _count(db, PbxEvent) == 5
    assert len(seen) == 5  # one update per new event, none for the duplicates
    # the same key from another source is another event
    await EventIngestor(db, CallTracker(), "pbx2")(ringing("c1"))
    assert await _count(db, PbxEvent) == 7


async def test_a_failing_listener_rolls_back_everything(db: Database) -> None:
    tracker = CallTracker()
    fail = True

    async def pipeline(session: AsyncSession, update: TrackerUpdate) -> None:
        await enqueue(session, "test.echo", {"call": update.call.call_id})
        if fail and update.call.phase is CallPhase.TALKING:
            raise RuntimeError("pipeline bug")

    ingest = EventIngestor(db, tracker, "pbx1", pipeline)
    await ingest(ringing("c1"))
    with pytest.raises(RuntimeError, match="pipeline bug"):
        await ingest([*ringing("c2"), *answered_and_over("c1")])

    # nothing of the failed batch: no events, no call c2, c1 as before, no jobs
    assert await _count(db, PbxEvent) == 2
    assert (await _stored_call(db, "c1")).phase == CallPhase.RINGING
    async with db.read() as session:
        assert await get_call(session, "pbx1", "c2") is None
        assert len(await list_jobs(session)) == 2
    # …and the tracker forgot it too
    assert tracker.get("c2") is None
    c1 = tracker.get("c1")
    assert c1 is not None and c1.phase is CallPhase.RINGING

    fail = False  # the adapter redelivers the batch: it is processed afresh
    await ingest([*ringing("c2"), *answered_and_over("c1")])
    assert (await _stored_call(db, "c1")).phase == CallPhase.ENDED
    assert (await _stored_call(db, "c2")).phase == CallPhase.RINGING


async def test_restore_after_a_restart_continues_the_calls(db: Database) -> None:
    first = EventIngestor(db, CallTracker(), "pbx1")
    await first(ringing("c1"))
    await first([*ringing("c2"), *answered_and_over("c2"), cdr("c2")])  # over before restart

    tracker = CallTracker()  # the process restarted
    again = EventIngestor(db, tracker, "pbx1")
    assert await again.restore() == 1
    assert [call.call_id for call in tracker.in_flight()] == ["c1"]

    await again([*ringing("c1"), *answered_and_over("c1"), cdr("c1")])
    record = await _stored_call(db, "c1")
    assert record.status == CallStatus.ANSWERED
    assert record.caller_number == "+4930123456"  # known from before the restart
    assert await _count(db, PbxEvent) == 12


async def test_a_late_event_for_an_ended_call_keeps_its_status(db: Database) -> None:
    first = EventIngestor(db, CallTracker(), "pbx1")
    await first([*ringing("c1"), *answered_and_over("c1"), cdr("c1")])

    late = CallHungUp(call_id="c1", at=T0 + timedelta(seconds=90), key="c1:late-hangup")
    await EventIngestor(db, CallTracker(), "pbx1")([late])  # a new process: c1 not in memory

    record = await _stored_call(db, "c1")
    assert record.status == CallStatus.ANSWERED
    assert record.caller_number == "+4930123456"


async def test_tick_decides_settled_calls_and_stores_them(db: Database) -> None:
    ended: list[TrackerUpdate] = []

    async def listener(session: AsyncSession, update: TrackerUpdate) -> None:
        if update.ended:
            ended.append(update)

    ingest = EventIngestor(db, CallTracker(settle_seconds=3), "pbx1", listener)
    await ingest([*ringing("c1"), *answered_and_over("c1")])  # hung up, no CDR
    assert (await _stored_call(db, "c1")).status is None

    assert await ingest.tick(T0 + timedelta(seconds=66)) == []  # still settling
    saved = await ingest.tick(T0 + timedelta(seconds=70))

    assert [update.call.call_id for update in saved] == ["c1"]
    assert (await _stored_call(db, "c1")).status == CallStatus.ANSWERED
    assert [update.call.call_id for update in ended] == ["c1"]


async def test_tick_retries_a_call_it_could_not_save(db: Database) -> None:
    broken = True

    async def listener(session: AsyncSession, update: TrackerUpdate) -> None:
        if update.ended and broken:
            raise RuntimeError("helpdesk pipeline down")

    ingest = EventIngestor(db, CallTracker(settle_seconds=0), "pbx1", listener)
    await ingest([*ringing("c1"), *answered_and_over("c1")])
    assert await ingest.tick(T0 + timedelta(seconds=70)) == []
    assert (await _stored_call(db, "c1")).status is None

    broken = False
    assert len(await ingest.tick(T0 + timedelta(seconds=71))) == 1
    assert (await _stored_call(db, "c1")).status == CallStatus.ANSWERED


async def test_calls_due_together_are_saved_in_one_transaction(db: Database) -> None:
    ended: list[str] = []

    async def listener(session: AsyncSession, update: TrackerUpdate) -> None:
        if update.ended:
            ended.append(update.call.call_id)

    ingest = EventIngestor(db, CallTracker(settle_seconds=0), "pbx1", listener)
    for n in range(5):
        await ingest([*ringing(f"c{n}"), *answered_and_over(f"c{n}")])
    with counting_transactions(db) as transactions:
        saved = await ingest.tick(T0 + timedelta(seconds=70))

    assert sorted(update.call.call_id for update in saved) == [f"c{n}" for n in range(5)]
    assert sorted(ended) == [f"c{n}" for n in range(5)]
    assert transactions == [1]
    for n in range(5):
        assert (await _stored_call(db, f"c{n}")).status == CallStatus.ANSWERED
    assert await ingest.tick(T0 + timedelta(seconds=71)) == []


async def test_a_call_that_cannot_be_saved_does_not_hold_back_the_others_due_with_it(
    db: Database,
) -> None:
    async def listener(session: AsyncSession, update: TrackerUpdate) -> None:
        if update.ended and update.call.call_id == "bad":
            raise RuntimeError("pipeline bug")

    ingest = EventIngestor(db, CallTracker(settle_seconds=0), "pbx1", listener)
    for call_id in ("ok1", "bad", "ok2"):
        await ingest([*ringing(call_id), *answered_and_over(call_id)])

    saved = await ingest.tick(T0 + timedelta(seconds=70))

    assert sorted(update.call.call_id for update in saved) == ["ok1", "ok2"]
    assert (await _stored_call(db, "ok1")).status == CallStatus.ANSWERED
    assert (await _stored_call(db, "ok2")).status == CallStatus.ANSWERED
    assert (await _stored_call(db, "bad")).status is None  # tried again at the next ticks


async def test_a_call_decided_by_another_process_keeps_that_decision(db: Database) -> None:
    decided: list[str] = []

    async def listener(session: AsyncSession, update: TrackerUpdate) -> None:
        if update.ended:
            decided.append(update.call.call_id)

    ingest = EventIngestor(db, CallTracker(settle_seconds=0), "pbx1", listener)
    for call_id in ("mine", "theirs"):
        await ingest([*ringing(call_id), *answered_and_over(call_id)])
    theirs = ingest.tracker.get("theirs")
    assert theirs is not None
    async with db.transaction() as session:  # another process decided it meanwhile
        await upsert_calls(
            session, "pbx1", [theirs.model_copy(update={"status": CallStatus.ABANDONED})]
        )

    saved = await ingest.tick(T0 + timedelta(seconds=70))

    assert [update.call.call_id for update in saved] == ["mine"]
    assert decided == ["mine"]
    assert (await _stored_call(db, "theirs")).status == CallStatus.ABANDONED
    kept = ingest.tracker.get("theirs")
    assert kept is not None and kept.status == CallStatus.ABANDONED


async def test_an_empty_batch_is_accepted(db: Database) -> None:
    await EventIngestor(db, CallTracker(), "pbx1")([])
    assert await _count(db, PbxEvent) == 0


async def test_concurrent_batches_are_stored_together_and_all_acknowledged(db: Database) -> None:
    """Group commit: batches that wait for their turn are stored in one transaction."""
    with counting_transactions(db) as transactions:
        ingest = EventIngestor(db, CallTracker(), "pbx1")
        batches = [ringing(f"g{n}") for n in range(30)]
        await asyncio.gather(*(ingest(batch) for batch in batches))
    assert await _count(db, PbxEvent) == 60
    assert await _count(db, CallRecord) == 30
    assert transactions[0] < 30  # all but the first waited and went in together


async def test_a_bad_batch_in_a_group_fails_only_its_sender(db: Database) -> None:
    async def pipeline(session: AsyncSession, update: TrackerUpdate) -> None:
        if update.call.call_id == "bad":
            raise RuntimeError("pipeline bug")

    ingest = EventIngestor(db, CallTracker(), "pbx1", pipeline)
    results = await asyncio.gather(
        ingest(ringing("ok1")),
        ingest(ringing("bad")),
        ingest(ringing("ok2")),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], RuntimeError)
    async with db.read() as session:
        assert await get_call(session, "pbx1", "bad") is None
    assert (await _stored_call(db, "ok1")).phase == CallPhase.RINGING
    assert (await _stored_call(db, "ok2")).phase == CallPhase.RINGING
    assert await _count(db, PbxEvent) == 4


class EarlyListener:
    """A listener with an early step: records what it was shown and what was stored then."""

    def __init__(self, db: Database, *, fails: bool = False) -> None:
        self.db = db
        self.fails = fails
        self.early_calls: list[tuple[list[str], int]] = []  # (call phases, events stored then)
        self.stored: list[TrackerUpdate] = []

    async def __call__(self, session: AsyncSession, update: TrackerUpdate) -> None:
        self.stored.append(update)

    async def early(self, updates: list[TrackerUpdate]) -> None:
        stored = await _count(self.db, PbxEvent)
        self.early_calls.append(([u.call.phase.value for u in updates], stored))
        if self.fails:
            raise RuntimeError("early step bug")


async def test_a_live_batch_is_shown_to_the_early_step_before_it_is_stored(db: Database) -> None:
    listener = EarlyListener(db)
    tracker = CallTracker()
    ingest = EventIngestor(db, tracker, "pbx1", listener)
    now = datetime.now(UTC)

    await ingest(ringing("c1", now))
    await ingest(ringing("c1", now))  # redelivered: nothing new to show

    assert listener.early_calls == [(["ringing", "ringing"], 0)]  # before its events were stored
    assert len(listener.stored) == 2
    stored = tracker.get("c1")
    assert stored is not None and stored.legs[0].extension == "2001"
    assert (await _stored_call(db, "c1")).phase == CallPhase.RINGING


async def test_old_events_are_not_shown_to_the_early_step(db: Database) -> None:
    listener = EarlyListener(db)
    ingest = EventIngestor(db, CallTracker(), "pbx1", listener)
    await ingest(ringing("c1", datetime.now(UTC) - timedelta(minutes=5)))  # a replay
    assert listener.early_calls == []
    assert len(listener.stored) == 2


async def test_a_failing_early_step_does_not_stop_the_events_being_stored(db: Database) -> None:
    listener = EarlyListener(db, fails=True)
    ingest = EventIngestor(db, CallTracker(), "pbx1", listener)
    await ingest(ringing("c1", datetime.now(UTC)))
    assert len(listener.early_calls) == 1
    assert (await _stored_call(db, "c1")).phase == CallPhase.RINGING
