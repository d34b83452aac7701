"""``rss_mb_100k_contacts``: the resident memory of ``serve`` (SQLite, in-process worker) with
100,000 contacts in its local index, after a burst of ring-time lookups of indexed numbers
(each one popped to an agent; tickets and journals off, so only the lookups and pops run)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from bench.harness.calls import PlannedCall, phone_number
from bench.harness.installation import EXTENSIONS, Installation, Topology
from bench.harness.load import run_load
from bench.harness.scenarios.sizes import Sizes
from bench.harness.seeding import SeededContact, seed_local_index

from deskline.runtime import event_loop

LOOKUPS_ONLY: dict[str, Any] = {
    "tickets": {"enabled": False},
    "call_journal": False,
    "contact_creation": {"mode": "manual"},
    "play_recording": False,
}


def rss_with_contacts(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    with Installation.start(workdir / "rss", Topology()) as desk:
        desk.put_settings(**LOOKUPS_ONLY)
        rss_started = desk.serve_rss_mb()
        contacts = (
            SeededContact(str(10_000_000 + n), phone_number(n)) for n in range(sizes.contacts)
        )
        written = event_loop.run(
            seed_local_index(desk.database_url, contacts, popup_base=desk.zendesk.base_url)
        )
        rng = random.Random(100)
        burst = [
            PlannedCall(phone_number(rng.randrange(sizes.contacts)), EXTENSIONS[n % 4], True)
            for n in range(sizes.lookup_burst)
        ]
        run = event_loop.run(
            run_load(desk, burst, concurrency=40, drain_seconds=sizes.drain_seconds, check=False)
        )
        rss = desk.serve_rss_mb()
    popped = len(run.pop_latencies_ms())
    return {
        "rss_mb_100k_contacts": round(rss, 1),
        "detail": {
            "contacts_in_index": written,
            "lookup_burst_calls": len(burst),
            "calls_popped": popped,
            "rss_mb_at_start": round(rss_started, 1),
            "helpdesk_requests": dict(run.requests),
            "complete": run.drained.complete,
        },
    }
