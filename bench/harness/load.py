"""One load run against an installation: seed the returning callers, open the agents' consoles,
place the calls (while an optional fault plays out), wait until deskline has finished, audit.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.harness.audit import Audit, Drained, audit_installation, request_kinds, wait_drained
from bench.harness.calls import PlannedCall
from bench.harness.driver import AgentConsoles, CallDriver, DrivenCall
from bench.harness.installation import Installation
from bench.harness.procstats import cpu_seconds
from bench.harness.seeding import seed_emulator_users, seed_local_index

Fault = Callable[[Installation, asyncio.Event], Coroutine[Any, Any, dict[str, Any]]]
"""Runs while the calls are placed (the event is set once they all are); returns what it did,
for the results."""


async def seed_returning(desk: Installation, calls: Sequence[PlannedCall]) -> int:
    numbers = [c.number for c in calls if c.returning]
    contacts = await seed_emulator_users(desk.zendesk.base_url, numbers)
    return await seed_local_index(desk.database_url, contacts, popup_base=desk.zendesk.base_url)


@dataclass
class LoadRun:
    calls: list[DrivenCall]
    drained: Drained
    audit: Audit | None
    started_wall: float
    posted_seconds: float
    requests: Counter[str]
    pops: dict[str, float]
    pop_counts: Counter[str]
    serve_cpu_seconds: float
    workers_cpu_seconds: float
    emulator_cpu_seconds: float
    driver_cpu_seconds: float
    """This process: the PBX driver and the agents' consoles (and little else meanwhile)."""
    fault: dict[str, Any] = field(default_factory=dict)
    driver_statuses: dict[str, int] = field(default_factory=dict)
    worker_exits: list[dict[str, Any]] = field(default_factory=list)
    driver_ceiling: float | None = None
    """Calls per second the driver could offer at most (None: it kept a fixed rate)."""

    @property
    def end_to_end_seconds(self) -> float | None:
        """First ring posted → the last ticket or journal acknowledged by the helpdesk."""
        last = self.drained.jobs.last_ticket_finished
        if last is None:
            return None
        return last.timestamp() - self.started_wall

    @property
    def calls_per_second(self) -> float | None:
        seconds = self.end_to_end_seconds
        if not self.drained.complete or not seconds or seconds <= 0:
            return None
        return len(self.calls) / seconds

    @property
    def requests_per_call(self) -> float:
        return sum(self.requests.values()) / max(1, len(self.calls))

    def pop_latencies_ms(self, *, returning: bool | None = None) -> list[float]:
        found = []
        for call in self.calls:
            if returning is not None and call.planned.returning != returning:
                continue
            popped = self.pops.get(call.call_key)
            if popped is not None and call.ring_sent_at is not None:
                found.append((popped - call.ring_sent_at) * 1000)
        return found

    def summary(self) -> dict[str, Any]:
        return {
            "calls": len(self.calls),
            "complete": self.drained.complete,
            "drain_seconds": round(self.drained.seconds, 1),
            "posting_seconds": round(self.posted_seconds, 1),
            "end_to_end_seconds": _round(self.end_to_end_seconds),
            "jobs": self.drained.jobs.by_state,
            "failed_jobs": self.drained.jobs.failed_reasons,
            "lost": self.audit.lost if self.audit else None,
            "duplicated": self.audit.duplicated if self.audit else None,
            "audit": self.audit.as_dict() if self.audit else "not checked",
            "helpdesk_requests": dict(self.requests),
            "webhook_answers": self.driver_statuses,
            "cpu_seconds": {
                "serve": round(self.serve_cpu_seconds, 1),
                "workers": round(self.workers_cpu_seconds, 1),
                "emulator": round(self.emulator_cpu_seconds, 1),
                "driver": round(self.driver_cpu_seconds, 1),
            },
            **({"fault": self.fault} if self.fault else {}),
            **({"workers_exited": self.worker_exits} if self.worker_exits else {}),
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


async def run_load(
    desk: Installation,
    calls: Sequence[PlannedCall],
    *,
    concurrency: int = 40,
    rate: float | None = None,
    drain_seconds: float = 300,
    fault: Fault | None = None,
    driver: CallDriver | None = None,
    pop_wait_seconds: float = 5,
    check: bool = True,
) -> LoadRun:
    """Place ``calls`` (their returning callers already seeded) and, with ``check``, audit
    the outcome (tickets and journals expected)."""
    driver = driver or CallDriver(desk.webhook_url, desk.webhook_token)
    socket_urls = await asyncio.to_thread(desk.agent_socket_urls)
    await asyncio.to_thread(desk.zendesk.clear_requests)
    cpu_before = _cpu(desk)
    async with AgentConsoles(socket_urls) as consoles:
        started_wall = time.time()
        started = time.perf_counter()
        placed = asyncio.Event()
        fault_task = asyncio.create_task(fault(desk, placed)) if fault is not None else None
        driven = await driver.run(calls, concurrency=concurrency, rate=rate)
        posted_seconds = time.perf_counter() - started
        placed.set()
        fault_report = await fault_task if fault_task is not None else {}
        drained = await wait_drained(
            desk.database_url,
            [c.call_id for c in driven if c.call_id],
            seconds=drain_seconds,
            gave_up=lambda: (
                bool(desk.workers) and all(not w or not w.running for w in desk.workers)
            ),
        )
        await consoles.wait_for_pops([c.call_key for c in driven], pop_wait_seconds)
        pops, pop_counts = dict(consoles.first_pop), Counter(consoles.pops)
    cpu_after = _cpu(desk)
    requests = request_kinds(await asyncio.to_thread(desk.zendesk.requests))
    checked = None
    if check:
        state = await asyncio.to_thread(desk.zendesk.state)
        checked = await audit_installation(desk.database_url, driven, state)
    return LoadRun(
        calls=driven,
        drained=drained,
        audit=checked,
        started_wall=started_wall,
        posted_seconds=posted_seconds,
        requests=requests,
        pops=pops,
        pop_counts=pop_counts,
        serve_cpu_seconds=cpu_after[0] - cpu_before[0],
        workers_cpu_seconds=max(0.0, cpu_after[1] - cpu_before[1]),
        emulator_cpu_seconds=cpu_after[2] - cpu_before[2],
        driver_cpu_seconds=cpu_after[3] - cpu_before[3],
        fault=fault_report,
        driver_statuses=dict(driver.stats.statuses),
        worker_exits=desk.worker_exits(),
        driver_ceiling=driver.ceiling(concurrency) if rate is None else None,
    )


def _cpu(desk: Installation) -> tuple[float, float, float, float]:
    return (
        desk.serve_cpu_seconds(),
        desk.workers_cpu_seconds(),
        desk.emulator_cpu_seconds(),
        cpu_seconds(os.getpid()),
    )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
