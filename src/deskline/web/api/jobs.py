"""Outbox jobs (``/api/jobs``): list by state, see every attempt, retry a failed job."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from deskline.outbox import JobState, attempts_of, get_job, list_jobs, retry_job
from deskline.store.models import Job, JobAttempt
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep
from deskline.web.errors import api_error

router = APIRouter(prefix="/api/jobs", tags=["jobs"], dependencies=[Depends(require_admin)])


class JobOut(BaseModel):
    id: int
    kind: str
    state: str
    attempts: int
    max_attempts: int
    ordering_key: str | None
    last_error: str | None
    run_after: datetime
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls.model_validate(job, from_attributes=True)


class AttemptOut(BaseModel):
    number: int
    worker: str
    started_at: datetime
    finished_at: datetime
    outcome: str
    detail: str | None
    duration_ms: int

    @classmethod
    def of(cls, attempt: JobAttempt) -> AttemptOut:
        return cls.model_validate(attempt, from_attributes=True)


class JobDetail(JobOut):
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


class JobPage(BaseModel):
    jobs: list[JobOut]
    next_cursor: int | None


@router.get("", summary="Jobs, newest first")
async def jobs(
    runtime: RuntimeDep,
    state: JobState | None = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[int | None, Query(ge=1)] = None,
) -> JobPage:
    async with runtime.db.read() as session:
        rows = await list_jobs(session, state=state, kind=kind, limit=limit + 1, before_id=cursor)
    page = rows[:limit]
    return JobPage(
        jobs=[JobOut.of(job) for job in page],
        next_cursor=page[-1].id if len(rows) > limit else None,
    )


async def _detail(runtime: RuntimeDep, job_id: int) -> JobDetail:
    async with runtime.db.read() as session:
        job = await get_job(session, job_id)
        if job is None:
            api_error(404, f"no job {job_id}")
        attempts = await attempts_of(session, job_id)
    return JobDetail(
        **JobOut.of(job).model_dump(),
        payload=dict(job.payload),
        attempt_log=[AttemptOut.of(a) for a in attempts],
    )


@router.get("/{job_id}", summary="One job with every attempt")
async def job(job_id: int, runtime: RuntimeDep) -> JobDetail:
    return await _detail(runtime, job_id)


@router.post("/{job_id}/retry", summary="Run a failed job again")
async def retry(job_id: int, runtime: RuntimeDep) -> JobDetail:
    try:
        async with runtime.db.transaction() as session:
            await retry_job(session, job_id)
    except LookupError as exc:
        api_error(404, str(exc))
    except ValueError as exc:
        api_error(409, str(exc))
    if runtime.worker is not None:
        runtime.worker.wake()
    return await _detail(runtime, job_id)
