"""``pop_latency_ms_p50`` / ``_p99``: calls arriving at a steady 20 per second (80 % returning
callers, 20 % new), each ringing an agent whose console is connected; the time from posting
the ring to the pop arriving on the agent's WebSocket.

The headline figures are the returning callers' (the ring-time lookup is local, the pop is
sent by ``serve`` right after the ring is stored); new callers' pops wait for the helpdesk
lookup job and are reported on their own. A second, calm run at 5 calls per second (below
what one process sustains here) shows the pop path without queueing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness.calls import plan_calls
from bench.harness.driver import CallDriver
from bench.harness.installation import EXTENSIONS, Installation, Topology
from bench.harness.load import LoadRun, run_load, seed_returning
from bench.harness.scenarios.sizes import Sizes
from bench.harness.scenarios.throughput import ALL_FEATURES
from bench.harness.stats import percentile

from deskline.runtime import event_loop

UNSATURATED_RATE = 5.0
"""A rate one ``serve`` on this machine keeps up with (its capacity is ``calls_per_second``)."""


def _measured(workdir: Path, sizes: Sizes, name: str, rate: float, count: int) -> LoadRun:
    with Installation.start(workdir / name, Topology()) as desk:
        desk.put_settings(**ALL_FEATURES)
        desk.zendesk.configure(validate_responses=False)
        planned = plan_calls(count, EXTENSIONS, seed=20)
        event_loop.run(seed_returning(desk, planned))
        # a realistic ring (2 s) so that new callers' pops can still arrive while it rings
        driver = CallDriver(desk.webhook_url, desk.webhook_token, ring_seconds=2, talk_seconds=1)
        return event_loop.run(
            run_load(
                desk,
                planned,
                rate=rate,
                concurrency=200,
                driver=driver,
                drain_seconds=sizes.drain_seconds,
            )
        )


def pop_latency(workdir: Path, sizes: Sizes) -> dict[str, Any]:
    count = round(sizes.latency_rate * sizes.latency_seconds)
    run = _measured(workdir, sizes, "pop-latency", sizes.latency_rate, count)
    calm = _measured(
        workdir, sizes, "pop-latency-calm", UNSATURATED_RATE, round(UNSATURATED_RATE * 20)
    )
    known = run.pop_latencies_ms(returning=True)
    new = run.pop_latencies_ms(returning=False)
    calm_known = calm.pop_latencies_ms(returning=True)
    returning_calls = sum(1 for c in run.calls if c.planned.returning)
    return {
        "pop_latency_ms_p50": percentile(known, 50),
        "pop_latency_ms_p99": percentile(known, 99),
        "detail": {
            **run.summary(),
            "rate_calls_per_second": sizes.latency_rate,
            "returning_calls": returning_calls,
            "returning_pops_missing": returning_calls - len(known),
            "new_caller_pop_latency_ms_p50": percentile(new, 50),
            "new_caller_pop_latency_ms_p99": percentile(new, 99),
            "new_callers_popped": f"{len(new)} of {len(run.calls) - returning_calls}",
            "all_calls_pop_latency_ms_p99": percentile(known + new, 99),
            "pops_more_than_once": sum(1 for n in run.pop_counts.values() if n > 1),
            "at_5_calls_per_second": {
                "calls": len(calm.calls),
                "pop_latency_ms_p50": percentile(calm_known, 50),
                "pop_latency_ms_p99": percentile(calm_known, 99),
                "new_caller_pop_latency_ms_p99": percentile(
                    calm.pop_latencies_ms(returning=False), 99
                ),
                "lost": calm.audit.lost if calm.audit else None,
                "duplicated": calm.audit.duplicated if calm.audit else None,
            },
        },
    }
