"""Ingestion benchmark: events per second through tracker + storage on SQLite, and the memory
the tracker needs per thousand calls in flight.

    python bench/bench_ingest.py [--calls 400] [--in-flight 1000]

Realistic traffic: inbound queue calls (offer, queue, two agents rung, one answers, the other
stops ringing, queue left, hangup, CDR), many calls interleaved as on a busy PBX, delivered in
batches of the sizes an adapter sends (1 = an AMI stream event by event; larger = webhooks or a
reconnect backlog). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskline.calls.events import (
    CallDetailRecord,
    CallEvent,
    CallHungUp,
    CallOffered,
    LegAnswered,
    LegEnded,
    LegRinging,
    QueueEntered,
    QueueLeft,
)
from deskline.calls.model import CallStatus, Direction, LegStatus, Party, QueueOutcome
from deskline.calls.tracker import CallTracker
from deskline.ingest import EventIngestor
from deskline.store.db import Database
from deskline.store.migrate import upgrade

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def queue_call(n: int, start: datetime) -> list[CallEvent]:
    cid = f"1741078800.{n}"

    def at(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    def key(name: str) -> str:
        return f"{cid}:{name}"

    return [
        CallOffered(
            call_id=cid,
            at=at(0),
            key=key("offer"),
            caller=Party(number=f"+4930{n:07d}", name="Caller"),
            callee=Party(number="+4940999000"),
            direction=Direction.INBOUND,
            trunk="sip-trunk",
            did="+4940999000",
        ),
        QueueEntered(call_id=cid, at=at(1), key=key("queue"), queue="support"),
        LegRinging(call_id=cid, at=at(2), key=key("ring-a"), extension="2001"),
        LegRinging(call_id=cid, at=at(2), key=key("ring-b"), extension="2002"),
        LegAnswered(call_id=cid, at=at(8), key=key("answer"), extension="2001"),
        LegEnded(
            call_id=cid, at=at(8), key=key("end-b"), extension="2002", status=LegStatus.CANCELLED
        ),
        QueueLeft(
            call_id=cid, at=at(8), key=key("left"), queue="support", outcome=QueueOutcome.ANSWERED
        ),
        LegEnded(
            call_id=cid, at=at(95), key=key("end-a"), extension="2001", status=LegStatus.ANSWERED
        ),
        CallHungUp(call_id=cid, at=at(95), key=key("hangup"), cause="16"),
        CallDetailRecord(call_id=cid, at=at(96), key=key("cdr"), status=CallStatus.ANSWERED),
    ]


def traffic(calls: int, concurrent: int = 50) -> list[CallEvent]:
    """Events of ``calls`` calls, ``concurrent`` at a time, interleaved in time order."""
    rng = random.Random(7)
    events = [
        event
        for n in range(calls)
        for event in queue_call(n, T0 + timedelta(seconds=n * 100 / concurrent + rng.random()))
    ]
    events.sort(key=lambda e: e.at)
    return events


async def ingest_rate(calls: int, batch: int, workdir: Path) -> tuple[int, float]:
    db = Database(f"sqlite+aiosqlite:///{workdir / f'bench-{batch}.db'}")
    await upgrade(db)
    ingest = EventIngestor(db, CallTracker(), "bench")
    events = traffic(calls)
    started = time.perf_counter()
    for i in range(0, len(events), batch):
        await ingest(events[i : i + batch])
    elapsed = time.perf_counter() - started
    await db.dispose()
    return len(events), elapsed


def memory_per_thousand(in_flight: int) -> float:
    """KiB the tracker holds per 1000 ringing/talking calls."""
    events = [e for n in range(in_flight) for e in queue_call(n, T0)[:5]]  # answered, not over
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    tracker = CallTracker()
    for event in events:
        tracker.apply(event)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert len(tracker.in_flight()) == in_flight
    used = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return used / 1024 / in_flight * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls per batch-size run")
    parser.add_argument("--in-flight", type=int, default=1000, help="calls for the memory figure")
    args = parser.parse_args()

    print(f"ingestion on SQLite, {args.calls} queue calls x 10 events each\n")
    print(f"{'batch':>6} {'events':>8} {'seconds':>8} {'events/s':>10} {'ms/batch':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for batch in (1, 10, 100):
            count, elapsed = await ingest_rate(args.calls, batch, Path(tmp))
            batches = -(-count // batch)
            print(
                f"{batch:>6} {count:>8} {elapsed:>8.2f} {count / elapsed:>10.0f}"
                f" {elapsed / batches * 1000:>9.2f}"
            )
    kib = memory_per_thousand(args.in_flight)
    print(f"\ntracker memory: {kib:,.0f} KiB per 1000 calls in flight ({args.in_flight} measured)")


if __name__ == "__main__":
    asyncio.run(main())
