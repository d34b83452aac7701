"""How big each scenario is, for a full run and for ``--quick``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    name: str
    throughput_calls: int
    throughput_calls_postgres: int
    concurrency: int
    throughput_concurrency: int
    """Calls in flight in the throughput scenarios: each holds its slot for ring + talk
    (0.5 s) and its two posts, so this bounds what the driver can offer at
    ``throughput_concurrency / 0.5`` calls per second; it must stay far above the target."""
    latency_seconds: float
    latency_rate: float
    budget_calls: int
    contacts: int
    lookup_burst: int
    sigkill_calls: int
    fault_rate: float
    helpdesk_down_seconds: float
    storm_seconds: float
    postgres_down_seconds: float
    redis_down_seconds: float
    drain_seconds: float


FULL = Sizes(
    name="full",
    throughput_calls=500,
    throughput_calls_postgres=500,
    concurrency=40,
    throughput_concurrency=300,
    latency_seconds=30,
    latency_rate=20,
    budget_calls=150,
    contacts=100_000,
    lookup_burst=1000,
    sigkill_calls=2000,
    fault_rate=8,
    helpdesk_down_seconds=60,
    storm_seconds=20,
    postgres_down_seconds=8,
    redis_down_seconds=15,
    drain_seconds=420,
)

QUICK = Sizes(
    name="quick",
    throughput_calls=80,
    throughput_calls_postgres=80,
    concurrency=30,
    throughput_concurrency=300,
    latency_seconds=5,
    latency_rate=20,
    budget_calls=30,
    contacts=100_000,
    lookup_burst=100,
    sigkill_calls=120,
    fault_rate=6,
    helpdesk_down_seconds=5,
    storm_seconds=4,
    postgres_down_seconds=2,
    redis_down_seconds=3,
    drain_seconds=180,
)
