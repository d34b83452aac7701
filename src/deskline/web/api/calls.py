"""Calls (``/api/calls``): the newest first, filtered, with their events and jobs.

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
from deskline.outbox import list_jobs
from deskline.store.models import CallRecord
from deskline.store.repositories import calls as call_rows
from deskline.store.repositories import events as event_rows
from deskline.store.repositories.call_search import CallFilter, search_calls
from deskline.web.api.jobs import JobOut
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


class CallDetail(CallOut):
    events: list[dict[str, Any]]
    jobs: list[JobOut]


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


@router.get("/{call_id}", summary="One call, its stored events and its jobs")
async def get_call(call_id: int, runtime: RuntimeDep) -> CallDetail:
    record = await _record(runtime, call_id)
    async with runtime.db.read() as session:
        events = await event_rows.events_of_call(session, record.source, record.pbx_call_id)
        key = call_ordering_key(record.source, record.pbx_call_id)
        jobs = await list_jobs(session, ordering_key=key, limit=200)
    return CallDetail(
        **_out(record).model_dump(),
        events=[event.model_dump(mode="json") for event in events],
        jobs=[JobOut.of(job) for job in reversed(jobs)],
    )


@router.get("/{call_id}/events", summary="A call's stored PBX events, in arrival order")
async def get_call_events(call_id: int, runtime: RuntimeDep) -> list[dict[str, Any]]:
    record = await _record(runtime, call_id)
    async with runtime.db.read() as session:
        events = await event_rows.events_of_call(session, record.source, record.pbx_call_id)
    return [event.model_dump(mode="json") for event in events]
