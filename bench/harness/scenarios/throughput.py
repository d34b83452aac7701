"""``calls_per_second`` (SQLite, one ``serve`` with its in-process worker) and
``calls_per_second_postgres`` (PostgreSQL, one ``serve`` + two ``deskline worker``), every
feature on: ring-time lookup, contact creation for new callers, after-call ticket with the call
journal, screen pops to connected agents, recording links."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.harness.calls import plan_calls
from bench.harness.installation import EXTENSIONS, Installation, Topology
from bench.harness.load import LoadRun, run_load, seed_returning
from bench.harness.scenarios.sizes import Sizes
from bench.harness.services import FreshDatabase, PrivateRedis

from deskline.runtime import event_loop

ALL_FEATURES: dict[str, Any] = {"play_recording": True}
"""On top of the e2e base settings: automatic contact creation, after-call tickets, the call
journal and ring-time pops are on there already."""


def throughput_run(desk: Installation, sizes: Sizes, calls: int) -> LoadRun:
    desk.put_settings(**ALL_FEATURES)
    desk.zendesk.configure(validate_responses=False)  # the helpdesk's own cost, not deskline's
    planned = plan_calls(calls, EXTENSIONS)
    event_loop.run(seed_returning(desk, planned))
    return event_loop.run(
        run_load(
            desk,
            planned,
            concurrency=sizes.throughput_concurrency,
            drain_seconds=sizes.drain_seconds,
        )
    )


def _figures(run: LoadRun) -> dict[str, Any]:
    cpu = run.serve_cpu_seconds + run.workers_cpu_seconds
    calls = max(1, len(run.calls))
    around = (run.emulator_cpu_seconds + run.driver_cpu_seconds) / calls
    return {
        **run.summary(),
        "calls_per_second": _rounded(run.calls_per_second),
        "deskline_cpu_ms_per_call": round(cpu * 1000 / max(1, len(run.calls)), 1),
        "emulator_cpu_ms_per_call": round(
            run.emulator_cpu_seconds * 1000 / max(1, len(run.calls)), 1
        ),
        "driver_cpu_ms_per_call": round(run.driver_cpu_seconds * 1000 / calls, 1),
        # near 1: serve (one process, one core at most) was the bottleneck
        "serve_busy_share": (
            round(run.serve_cpu_seconds / run.end_to_end_seconds, 2)
            if run.end_to_end_seconds
            else None
        ),
        "cores": os.cpu_count(),
        # the most this machine could carry if deskline itself cost nothing: the emulator and
        # the driver share its cores with deskline
        "machine_ceiling_calls_per_second": (
            round((os.cpu_count() or 1) / around) if around > 0 else None
        ),
        "requests_per_call": round(run.requests_per_call, 2),
        "driver_ceiling_calls_per_second": run.driver_ceiling,
    }


def sqlite_single(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    with Installation.start(workdir / "cps-sqlite", Topology()) as desk:
        run = throughput_run(desk, sizes, sizes.throughput_calls)
    return {"calls_per_second": _rounded(run.calls_per_second), "detail": _figures(run)}


def postgres_two_workers(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    database = FreshDatabase()
    redis = PrivateRedis(workdir)
    try:
        topology = Topology(database_url=database.url, redis_url=redis.url, workers=2)
        with Installation.start(workdir / "cps-postgres", topology) as desk:
            run = throughput_run(desk, sizes, sizes.throughput_calls_postgres)
    finally:
        redis.close()
        database.drop()
    return {"calls_per_second_postgres": _rounded(run.calls_per_second), "detail": _figures(run)}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
