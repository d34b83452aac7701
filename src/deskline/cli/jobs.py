"""`deskline jobs`: list outbox jobs, show one with every attempt, retry a failed one.

Like ``deskline db``, it works on the database directly (``DESKLINE_DATABASE_URL`` or SQLite
in the data directory; ``--url`` overrides it), so it also works while ``serve`` is down. A
retried job is picked up by the next worker poll.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer

from deskline.cli.database import UrlOption, run_on_database
from deskline.outbox import JobState, attempts_of, get_job, list_jobs, retry_job
from deskline.store.db import Database
from deskline.store.models import Job, JobAttempt

app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
_ERROR_WIDTH = 70


def _jobs_db(url: str | None, action: Callable[[Database], Awaitable[T]]) -> T:
    return run_on_database(url, action, "cannot read the jobs in {where}")


def _job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "ordering_key": job.ordering_key,
        "last_error": job.last_error,
        "run_after": _time(job.run_after),
        "created_at": _time(job.created_at),
        "finished_at": _time(job.finished_at),
    }


def _attempt_json(attempt: JobAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "worker": attempt.worker,
        "started_at": _time(attempt.started_at),
        "outcome": attempt.outcome,
        "duration_ms": attempt.duration_ms,
        "detail": attempt.detail,
    }


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def _short(text: str | None, width: int = _ERROR_WIDTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command("list")
def list_command(
    state: Annotated[
        JobState | None, typer.Option(help="Only jobs in this state (e.g. failed).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """The newest jobs first, with the reason of the last failure."""

    async def read(db: Database) -> list[Job]:
        async with db.read() as session:
            return await list_jobs(session, state=state, kind=kind, limit=limit)

    jobs = _jobs_db(url, read)
    if as_json:
        typer.echo(json.dumps([_job_json(job) for job in jobs], indent=2))
        return
    if not jobs:
        typer.echo("no jobs")
        return
    typer.echo(f"{'ID':>8}  {'STATE':<9}  {'ATTEMPTS':>8}  {'KIND':<26}  LAST ERROR")
    for job in jobs:
        attempts = f"{job.attempts}/{job.max_attempts}"
        typer.echo(
            f"{job.id:>8}  {job.state:<9}  {attempts:>8}  {job.kind:<26}  {_short(job.last_error)}"
        )


@app.command()
def show(
    job_id: Annotated[int, typer.Argument(help="The job's id.")],
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """One job: its payload, state and every attempt."""

    async def read(db: Database) -> tuple[Job | None, list[JobAttempt]]:
        async with db.read() as session:
            job = await get_job(session, job_id)
            return job, (await attempts_of(session, job_id)) if job else []

    job, attempts = _jobs_db(url, read)
    if job is None:
        typer.echo(f"error: no job {job_id}", err=True)
        raise typer.Exit(1)
    data = {
        **_job_json(job),
        "payload": job.payload,
        "attempt_log": [_attempt_json(a) for a in attempts],
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for name in ("id", "kind", "state", "ordering_key", "run_after", "created_at", "finished_at"):
        typer.echo(f"{name + ':':<14}{data[name]}")
    typer.echo(f"{'attempts:':<14}{job.attempts} of {job.max_attempts}")
    typer.echo(f"{'last error:':<14}{job.last_error or '-'}")
    typer.echo(f"{'payload:':<14}{json.dumps(job.payload)}")
    for attempt in attempts:
        typer.echo(
            f"  #{attempt.number} {_time(attempt.started_at)} {attempt.outcome:<13} "
            f"{attempt.duration_ms} ms on {attempt.worker}: {_short(attempt.detail, 100)}"
        )


@app.command()
def retry(
    job_id: Annotated[int, typer.Argument(help="The failed job's id.")],
    url: UrlOption = None,
) -> None:
    """Put a failed job back in the queue now, with one more attempt."""

    async def requeue(db: Database) -> str | None:
        try:
            async with db.transaction() as session:
                await retry_job(session, job_id)
        except (LookupError, ValueError) as exc:
            return str(exc)
        return None

    refused = _jobs_db(url, requeue)
    if refused is not None:
        typer.echo(f"error: {refused}", err=True)
        raise typer.Exit(1)
    typer.echo(f"job {job_id} is pending again; a worker runs it at its next poll")
