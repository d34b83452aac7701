"""``GET /metrics``: the Prometheus text format of this process's registry.

Access: with ``DESKLINE_METRICS_TOKEN`` set, a scrape must send ``Authorization: Bearer
<token>``; without it, only clients on the loopback interface (127.0.0.1, ::1) are answered,
so an unconfigured deskline never shows its metrics to the network. Before each scrape the
job gauges (``deskline_jobs{state}``, ``deskline_oldest_pending_job_seconds``) are read from
the database; when it cannot be read they keep their last values.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from deskline.observability.metrics import JOBS, OLDEST_PENDING_JOB_SECONDS, render_latest
from deskline.outbox import count_by_state
from deskline.store.repositories.job_stats import oldest_pending_since
from deskline.store.types import utcnow
from deskline.web.deps import RuntimeDep
from deskline.web.errors import api_error

log = logging.getLogger(__name__)

router = APIRouter(tags=["status"])


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _authorized(request: Request, token: str | None) -> bool:
    if token is None:
        return _loopback(request.client.host if request.client else None)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


async def refresh_job_gauges(runtime: RuntimeDep) -> None:
    """Read the job counts and the oldest pending job from the database into the gauges."""
    try:
        async with runtime.db.read() as session:
            counts = await count_by_state(session)
            oldest = await oldest_pending_since(session)
    except Exception as exc:
        log.warning("metrics: cannot read the job figures: %s", type(exc).__name__)
        return
    for state, count in counts.items():
        JOBS.labels(state).set(count)
    age = 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
    OLDEST_PENDING_JOB_SECONDS.set(age)


@router.get(
    "/metrics",
    summary="Prometheus metrics (bearer DESKLINE_METRICS_TOKEN, or loopback when unset)",
    response_class=Response,
)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    secret = runtime.settings.metrics_token
    if not _authorized(request, secret.get_secret_value() if secret else None):
        if secret:
            api_error(401, "metrics need the bearer token", headers={"WWW-Authenticate": "Bearer"})
        api_error(403, "without DESKLINE_METRICS_TOKEN, metrics answer loopback clients only")
    await refresh_job_gauges(runtime)
    return Response(render_latest(), media_type=CONTENT_TYPE_LATEST)
