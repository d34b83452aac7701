"""Stored PBX events are counted by source and kind; redeliveries are not."""

from __future__ import annotations

from deskline.calls.tracker import CallTracker
from deskline.ingest import EventIngestor
from deskline.observability.metrics import REGISTRY
from deskline.store.db import Database
from tests.test_ingest import ringing


def counted(source: str, kind: str) -> float:
    labels = {"source": source, "kind": kind}
    return REGISTRY.get_sample_value("deskline_pbx_events_total", labels) or 0


async def test_new_events_are_counted_once(db: Database) -> None:
    source = f"pbx:metrics:{db.dialect}"
    ingest = EventIngestor(db, CallTracker(settle_seconds=1), source)
    await ingest(ringing("call-1"))
    await ingest(ringing("call-1"))  # the PBX delivered the batch again
    assert counted(source, "call.offered") == 1
    assert counted(source, "leg.ringing") == 1
