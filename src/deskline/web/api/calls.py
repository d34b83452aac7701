"""Calls (``/api/calls``): the newest first, filtered, with their events, jobs and helpdesk
requests (F32: each request's time, scenario, method, masked URL, status, outcome, duration and
a short response excerpt; each job with every attempt).

Paging: ``limit`` rows per page; the answer's ``next_cursor`` goes in ``cursor`` to get the
next (older) page, and is null on the last page. The jobs of a call are those whose ordering
key is ``call:<source>:<call id>`` (the key the integration pipeline enqueues them under).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from deskline.calls.model import Direction
from deskline.outbox import attempts_of, list_jobs
from deskline.store.models import CallRecord, HelpdeskRequestLog
from deskline.store.repositories import calls as call_rows
from deskline.store.repositories import events as event_rows
from deskline.store.repositories.call_search import CallFilter, search_calls
from deskline.store.repositories.request_log import requests_of_call
from deskline.web.api.jobs import AttemptOut, JobOut
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep
from deskline.web.errors import api_error

router = APIRouter(prefix="/api/calls", tags=["calls"], dependencies=[Depends(require_admin)])

StatusFilter = Literal[
    "answered", "no_answer", "busy", "failed", "abandoned", "voicemail", "in_progress"
]


class CallOut(BaseModel):
    id: int
    source: str
    phase: str
    call: dict[str, Any]
    """The call as ``deskline pbx replay`` prints it (status, parties, legs, …)."""


class CallPage(BaseModel):
    calls: list[CallOut]
    next_cursor: int | None


class HelpdeskRequestOut(BaseModel):
    """One request sent to the helpdesk for the call (secrets masked in the URL)."""

    at: datetime
    scenario: str
    request: str
    method: str
    url: str
    status: int | None
    outcome: str
    duration_ms: int
    excerpt: str | None
    job_id: int | None

    @classmethod
    def of(cls, row: HelpdeskRequestLog) -> HelpdeskRequestOut:
        return cls(
            at=row.at,
            scenario=row.scenario,
            request=row.request_name,
            method=row.method,
            url=row.url,
            status=row.status_code,
            outcome=row.outcome,
            duration_ms=row.duration_ms,
            excerpt=row.excerpt,
            job_id=row.job_id,
        )


class CallJobOut(JobOut):
    attempt_log: list[AttemptOut]


class CallDetail(CallOut):
    events: list[dict[str, Any]]
    jobs: list[CallJobOut]
    helpdesk_requests: list[HelpdeskRequestOut]


def call_ordering_key(source: str, call_id: str) -> str:
    return f"call:{source}:{call_id}"


def _out(record: CallRecord) -> CallOut:
    call = call_rows.call_of(record)
    return CallOut(id=record.id, source=record.source, phase=record.phase, call=call.summary())


@router.get("", summary="Calls, newest first")
async def list_calls(
    runtime: RuntimeDep,
    direction: Direction | None = None,
    status: StatusFilter | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    number: Annotated[str | None, Query(max_length=64)] = None,
    extension: Annotated[str | None, Query(max_length=64)] = None,
    source: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[int | None, Query(ge=1)] = None,
) -> CallPage:
    numbers: list[str] = []
    if number:
        parsed = runtime.normaliser.normalise(number)
        numbers = [value for value in (parsed.value, number.strip()) if value]
    where = CallFilter(
        direction=direction.value if direction else None,
        status=status,
        since=_aware(since),
        until=_aware(until),
        numbers=numbers,
        extension=extension.strip() if extension else None,
        source=source,
    )
    async with runtime.db.read() as session:
        rows = await search_calls(session, where, limit=limit + 1, before_id=cursor)
    page = rows[:limit]
    next_cursor = page[-1].id if len(rows) > limit else None
    return CallPage(calls=[_out(row) for row in page], next_cursor=next_cursor)


def _aware(value: datetime | None) -> datetime | None:
    """A time given without a zone is taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


async def _record(runtime: RuntimeDep, call_id: int) -> CallRecord:
    async with runtime.db.read() as session:
        record = await call_rows.get_call_by_id(session, call_id)
    if record is None:
        api_error(404, f"no call {call_id}")
    return record


@router.get("/{call_id}", summary="One call: its events, jobs (with attempts), helpdesk requests")
async def get_call(call_id: int, runtime: RuntimeDep) -> CallDetail:
    record = await _record(runtime, call_id)
    async with runtime.db.read() as session:
        events = await event_rows.events_of_call(session, record.source, record.pbx_call_id)
        key = call_ordering_key(record.source, record.pbx_call_id)
        jobs = []
        for job in reversed(await list_jobs(session, ordering_key=key, limit=200)):
            attempts = [AttemptOut.of(a) for a in await attempts_of(session, job.id)]
            jobs.append(CallJobOut(**JobOut.of(job).model_dump(), attempt_log=attempts))
        requests = await requests_of_call(session, record.source, record.pbx_call_id)
    return CallDetail(
        **_out(record).model_dump(),
        events=[event.model_dump(mode="json") for event in events],
        jobs=jobs,
        helpdesk_requests=[HelpdeskRequestOut.of(row) for row in requests],
    )


@router.get("/{call_id}/requests", summary="The helpdesk requests sent for a call, in order")
async def get_call_requests(call_id: int, runtime: RuntimeDep) -> list[HelpdeskRequestOut]:
    record = await _record(runtime, call_id)
    async with runtime.db.read() as session:
        rows = await requests_of_call(session, record.source, record.pbx_call_id)
    return [HelpdeskRequestOut.of(row) for row in rows]


@router.get("/{call_id}/events", summary="A call's stored PBX events, in arrival order")
async def get_call_events(call_id: int, runtime: RuntimeDep) -> list[dict[str, Any]]:
    record = await _record(runtime, call_id)
    async with runtime.db.read() as session:
        events = await event_rows.events_of_call(session, record.source, record.pbx_call_id)
    return [event.model_dump(mode="json") for event in events]
