"""The fault suite: calls keep coming while something breaks; afterwards every call must have
exactly one ticket and one journal in the emulator and one record in deskline (``lost`` and
``duplicated``, targets 0 and 0).

- ``fault_worker_sigkill``: PostgreSQL, ``serve`` + 2 ``deskline worker``; a random worker is
  SIGKILLed every 1-4 s while the calls are placed, and started again half a second later;
- ``fault_helpdesk_down``: every ``/api/v2`` request answered 503 for a while (60 s in a full
  run) during the load (SQLite, one process);
- ``fault_429_storm``: the emulator answers 429 with ``Retry-After: 2`` to everything for a
  while (SQLite, one process);
- ``fault_postgres_restart``: a private PostgreSQL instance is stopped (fast shutdown) and
  started again during the load (``serve`` + 2 workers);
- ``fault_redis_unavailable``: the shared-budget Redis (a private ``redis-server``) is killed
  during the load and started again; deskline must fall back to per-process budgets and
  switch back (each process logs both; ``deskline_budget_degraded`` on ``/metrics``).
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

from bench.harness.calls import plan_calls
from bench.harness.installation import EXTENSIONS, Installation, Topology
from bench.harness.load import Fault, LoadRun, run_load, seed_returning
from bench.harness.scenarios.sizes import Sizes
from bench.harness.scenarios.throughput import ALL_FEATURES
from bench.harness.services import FreshDatabase, PrivatePostgres, PrivateRedis

from deskline.runtime import event_loop

DEGRADED_LINE = "Redis is unavailable"
RECOVERED_LINE = "Redis is back"
"""What a shared budget logs when it falls back to its per-process share, and when it returns
(deskline.budget.shared)."""
FAULT_START_SECONDS = 3.0
"""Calls flow this long before the fault strikes."""


def _load(desk: Installation, sizes: Sizes, calls: int, fault: Fault, **settings: Any) -> LoadRun:
    desk.put_settings(**ALL_FEATURES, **settings)
    planned = plan_calls(calls, EXTENSIONS, seed=calls)
    event_loop.run(seed_returning(desk, planned))
    return event_loop.run(
        run_load(
            desk,
            planned,
            rate=sizes.fault_rate,
            concurrency=200,
            fault=fault,
            drain_seconds=sizes.drain_seconds,
        )
    )


def _calls_spanning(sizes: Sizes, fault_seconds: float) -> int:
    """Enough calls at the fault rate to keep coming before, during and after the fault."""
    return round(sizes.fault_rate * (FAULT_START_SECONDS + fault_seconds + 10))


def _result(run: LoadRun, **extra: Any) -> dict[str, Any]:
    return {"lost": run.audit.lost if run.audit else None,
            "duplicated": run.audit.duplicated if run.audit else None,
            **extra, "detail": run.summary()}  # fmt: skip


# --- worker SIGKILL ----------------------------------------------------------------------------


def worker_sigkill(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    rng = random.Random(9)

    async def kill_workers(desk: Installation, placed: asyncio.Event) -> dict[str, Any]:
        kills = 0
        while not placed.is_set():
            try:
                await asyncio.wait_for(placed.wait(), rng.uniform(1.0, 4.0))
            except TimeoutError:
                index = desk.kill_random_worker(rng)
                kills += 1
                await asyncio.sleep(0.5)
                desk.start_worker(index)
        return {"sigkills": kills}

    database = FreshDatabase()
    try:
        topology = Topology(database_url=database.url, workers=2)
        with Installation.start(workdir / "fault-sigkill", topology) as desk:
            desk.put_settings(**ALL_FEATURES)
            planned = plan_calls(sizes.sigkill_calls, EXTENSIONS, seed=2000)
            event_loop.run(seed_returning(desk, planned))
            run = event_loop.run(
                run_load(
                    desk,
                    planned,
                    concurrency=sizes.concurrency,
                    fault=kill_workers,
                    drain_seconds=sizes.drain_seconds,
                )
            )
    finally:
        database.drop()
    return _result(run, calls=len(run.calls), sigkills=run.fault.get("sigkills"))


# --- the helpdesk down, a 429 storm ------------------------------------------------------------


def helpdesk_down(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    seconds = sizes.helpdesk_down_seconds

    async def outage(desk: Installation, placed: asyncio.Event) -> dict[str, Any]:
        await asyncio.sleep(FAULT_START_SECONDS)
        await asyncio.to_thread(
            desk.zendesk.add_fault, "/api/v2/*", kind="error", status=503, seconds=seconds
        )
        return {"down_seconds": seconds, "answer": 503}

    with Installation.start(workdir / "fault-helpdesk-down", Topology()) as desk:
        run = _load(desk, sizes, _calls_spanning(sizes, seconds), outage)
        answered_503 = _answered(desk, 503)
    return _result(
        run,
        down_seconds=seconds,
        answered_503=answered_503,
        seconds_to_finish_after_outage=_after(run, FAULT_START_SECONDS + seconds),
    )


def storm_429(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    seconds = sizes.storm_seconds

    async def storm(desk: Installation, placed: asyncio.Event) -> dict[str, Any]:
        await asyncio.sleep(FAULT_START_SECONDS)
        await asyncio.to_thread(desk.zendesk.storm, seconds=seconds, retry_after=2)
        return {"storm_seconds": seconds, "retry_after": 2}

    with Installation.start(workdir / "fault-429", Topology()) as desk:
        run = _load(desk, sizes, _calls_spanning(sizes, seconds), storm)
        answered_429 = _answered(desk, 429)
    return _result(
        run,
        storm_seconds=seconds,
        answered_429=answered_429,
        seconds_to_finish_after_storm=_after(run, FAULT_START_SECONDS + seconds),
    )


def _answered(desk: Installation, status: int) -> int:
    """API requests the emulator answered with ``status`` during the run."""
    requests = desk.zendesk.requests(path="/api/v2/*")
    return sum(1 for r in requests if r["status"] == status)


def _after(run: LoadRun, fault_ended: float) -> float | None:
    total = run.end_to_end_seconds
    return None if total is None else round(total - fault_ended, 1)


# --- PostgreSQL restarted, Redis unavailable ---------------------------------------------------


def postgres_restart(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    seconds = sizes.postgres_down_seconds
    postgres = PrivatePostgres(workdir)

    async def restart(desk: Installation, placed: asyncio.Event) -> dict[str, Any]:
        await asyncio.sleep(FAULT_START_SECONDS)
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(postgres.start)
        return {"down_seconds": seconds}

    try:
        topology = Topology(database_url=postgres.url, workers=2)
        with Installation.start(workdir / "fault-postgres", topology) as desk:
            run = _load(desk, sizes, _calls_spanning(sizes, seconds), restart)
    finally:
        postgres.close()
    return _result(
        run,
        down_seconds=seconds,
        webhook_retries=sum(c.retries for c in run.calls),
    )


def redis_unavailable(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    seconds = sizes.redis_down_seconds
    redis = PrivateRedis(workdir)
    database = FreshDatabase()

    async def outage(desk: Installation, placed: asyncio.Event) -> dict[str, Any]:
        await asyncio.sleep(FAULT_START_SECONDS)
        await asyncio.to_thread(redis.stop)
        await asyncio.sleep(seconds)
        degraded = desk.logs().count(DEGRADED_LINE)
        await asyncio.to_thread(redis.start)
        back = time.monotonic()
        for _ in range(60):  # 30 s
            if desk.logs().count(RECOVERED_LINE) >= degraded:
                break
            await asyncio.sleep(0.5)
        recovered = desk.logs().count(RECOVERED_LINE)
        return {
            "down_seconds": seconds,
            "processes_degraded": degraded,
            "processes_recovered": recovered,
            "recovered_after_seconds": round(time.monotonic() - back, 1) if recovered else None,
        }

    try:
        topology = Topology(database_url=database.url, redis_url=redis.url, workers=2)
        with Installation.start(workdir / "fault-redis", topology) as desk:
            run = _load(desk, sizes, _calls_spanning(sizes, seconds), outage, api_budget_rpm=2500)
    finally:
        redis.close()
        database.drop()
    returning = [c for c in run.calls if c.planned.returning]
    return _result(
        run,
        **run.fault,
        returning_pops_missing=sum(1 for c in returning if c.call_key not in run.pops),
    )
