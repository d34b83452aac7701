"""``requests_per_call`` (tuned: local index first, after-call ticket carrying the journal)
next to ``requests_per_call_naive`` (always query the helpdesk, ticket before the call, so the
journal is a separate write), 80 % returning and 20 % new callers, on a realistic plan
(Enterprise, 700 requests per minute, as the connection's budget too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness.calls import plan_calls
from bench.harness.installation import EXTENSIONS, Installation, Topology
from bench.harness.load import LoadRun, run_load, seed_returning
from bench.harness.scenarios.sizes import Sizes
from bench.harness.scenarios.throughput import ALL_FEATURES

from deskline.runtime import event_loop

PLAN_RPM = 700
NAIVE: dict[str, Any] = {"always_query_helpdesk": True, "tickets": {"timing": "before_call"}}


def _run(workdir: Path, sizes: Sizes, name: str, settings: dict[str, Any]) -> LoadRun:
    topology = Topology(emulator_rate_limit=PLAN_RPM)
    with Installation.start(workdir / f"requests-{name}", topology) as desk:
        desk.put_settings(**ALL_FEATURES, api_budget_rpm=PLAN_RPM, **settings)
        planned = plan_calls(sizes.budget_calls, EXTENSIONS, seed=15)
        event_loop.run(seed_returning(desk, planned))
        return event_loop.run(
            run_load(desk, planned, concurrency=10, drain_seconds=sizes.drain_seconds)
        )


def requests_per_call(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    tuned = _run(workdir, sizes, "tuned", {})
    naive = _run(workdir, sizes, "naive", NAIVE)
    return {
        "requests_per_call": round(tuned.requests_per_call, 2),
        "requests_per_call_naive": round(naive.requests_per_call, 2),
        "detail": {
            "plan_requests_per_minute": PLAN_RPM,
            "tuned": {**tuned.summary(), "calls_per_second": _r(tuned.calls_per_second)},
            "naive": {**naive.summary(), "calls_per_second": _r(naive.calls_per_second)},
        },
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
