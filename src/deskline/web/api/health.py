"""``GET /api/health`` (no auth: for load balancers) and ``GET /api/status`` (admin)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

import deskline
from deskline.fanout import AnyPopRelay, FallbackPopRelay, StoredPopRelay
from deskline.outbox import count_by_state
from deskline.store.repositories.job_stats import oldest_pending_since
from deskline.store.repositories.pbx_connections import PbxConnectionRepository
from deskline.store.types import utcnow
from deskline.web.api.helpdesk_health import HelpdeskHealth, helpdesk_health
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep

public = APIRouter(prefix="/api", tags=["status"])
router = APIRouter(prefix="/api", tags=["status"], dependencies=[Depends(require_admin)])


class ConnectionState(BaseModel):
    id: int
    name: str
    kind: str
    enabled: bool
    status: str
    status_detail: str | None
    updated_at: datetime


class Status(BaseModel):
    version: str
    database: str
    worker: str
    pbx_connections: list[ConnectionState]
    jobs: dict[str, int]
    oldest_pending_job_age_seconds: float | None
    helpdesk: HelpdeskHealth | None
    """The helpdesk connection: active, retrying, needs_reauth, disabled (None: none)."""
    pops: str
    """Screen pops: through Redis "shared" (or "degraded" while it is down); without Redis,
    "in-process" when this process runs its outbox worker, else "database": the separate
    workers' pops come through the database (so do those of separate workers running next to
    this process's own); "degraded" while it cannot be read."""


@public.get("/health", summary="Liveness and database reachability (no authentication)")
async def health(runtime: RuntimeDep) -> JSONResponse:
    try:
        async with runtime.db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        message = f"database unreachable: {type(exc).__name__}"
        return JSONResponse({"status": "error", "database": "down", "message": message}, 503)
    return JSONResponse({"status": "ok", "database": "up"})


@router.get("/status", summary="Version, database, PBX and helpdesk connections, the job queue")
async def status(runtime: RuntimeDep) -> Status:
    async with runtime.db.read() as session:
        views = await PbxConnectionRepository(session, runtime.box).list()
        jobs = await count_by_state(session)
        oldest = await oldest_pending_since(session)
        helpdesk = await helpdesk_health(session, runtime.helpdesks.budgets)
    relay = runtime.pop_relay
    return Status(
        version=deskline.__version__,
        database=runtime.db.dialect,
        worker="in-process" if runtime.worker is not None else "separate process",
        pbx_connections=[
            ConnectionState(
                id=v.id,
                name=v.name,
                kind=v.kind,
                enabled=v.enabled,
                status=v.status,
                status_detail=v.status_detail,
                updated_at=v.updated_at,
            )
            for v in views
        ],
        jobs=jobs,
        oldest_pending_job_age_seconds=(
            None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
        ),
        helpdesk=helpdesk,
        pops=_pops(relay, own_worker=runtime.worker is not None),
    )


def _pops(relay: AnyPopRelay, *, own_worker: bool) -> str:
    if isinstance(relay, FallbackPopRelay):  # Redis is what carries the serving processes' pops
        relay = relay.primary
    if not relay.ready:
        return "degraded"
    if isinstance(relay, StoredPopRelay):
        return "in-process" if own_worker else "database"
    return "shared"
