"""deskline's Prometheus instruments, in one registry per process.

Every instrument is a module constant, so any layer records with one line::

    from deskline.observability.metrics import SCREEN_POP_SECONDS
    SCREEN_POP_SECONDS.observe(elapsed)

``GET /metrics`` (:mod:`deskline.web.metrics`) renders :data:`REGISTRY`; the job gauges are
read from the database just before. The full list with labels is in docs/operations.md.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)

REGISTRY = CollectorRegistry(auto_describe=True)
process_collector.ProcessCollector(registry=REGISTRY)
platform_collector.PlatformCollector(registry=REGISTRY)
gc_collector.GCCollector(registry=REGISTRY)

#: fast things (a helpdesk request, a screen pop): 5 ms … 30 s
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: waiting for the request budget: none … two minutes
_WAIT_BUCKETS = (0.0, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

PBX_EVENTS = Counter(
    "deskline_pbx_events",
    "PBX call events stored (redeliveries not counted), by source and event kind.",
    ["source", "kind"],
    registry=REGISTRY,
)
JOBS = Gauge(
    "deskline_jobs",
    "Outbox jobs by state (read from the database when /metrics is scraped).",
    ["state"],
    registry=REGISTRY,
)
OLDEST_PENDING_JOB_SECONDS = Gauge(
    "deskline_oldest_pending_job_seconds",
    "Age of the oldest job waiting to run (0: none is waiting).",
    registry=REGISTRY,
)
JOB_ATTEMPTS = Counter(
    "deskline_job_attempts",
    "Outbox job attempts by job kind and outcome "
    "(succeeded, retry, failed, deferred: rescheduled for the request budget, not counted).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
HELPDESK_REQUESTS = Counter(
    "deskline_helpdesk_requests",
    "Helpdesk requests by template scenario, outcome and HTTP status ('none': no response).",
    ["scenario", "outcome", "status"],
    registry=REGISTRY,
)
HELPDESK_REQUEST_SECONDS = Histogram(
    "deskline_helpdesk_request_seconds",
    "Duration of helpdesk requests, redirects included (the budget wait is not).",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
BUDGET_USED_RATIO = Gauge(
    "deskline_budget_used_ratio",
    "Share of a connection's request budget used in the current window (0 when unlimited).",
    ["connection"],
    registry=REGISTRY,
)
BUDGET_WAIT_SECONDS = Histogram(
    "deskline_budget_wait_seconds",
    "How long requests waited for the request budget, by priority.",
    ["priority"],
    buckets=_WAIT_BUCKETS,
    registry=REGISTRY,
)
BUDGET_EXHAUSTED = Counter(
    "deskline_budget_exhausted",
    "Requests told to reschedule because the budget had no room within their maximum wait.",
    ["connection", "priority"],
    registry=REGISTRY,
)
BUDGET_DEGRADED = Gauge(
    "deskline_budget_degraded",
    "1 while a shared (Redis) budget runs on its per-process fallback because Redis is down.",
    ["connection"],
    registry=REGISTRY,
)
SCREEN_POP_SECONDS = Histogram(
    "deskline_screen_pop_seconds",
    "From the ring event being ingested to the screen pop sent to the agent (local index).",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)


def count_helpdesk_request(scenario: str, outcome: str, status: int | None) -> None:
    """Count one helpdesk request that was sent (or failed to get an answer)."""
    HELPDESK_REQUESTS.labels(scenario or "none", outcome, str(status) if status else "none").inc()


def render_latest() -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(REGISTRY)
