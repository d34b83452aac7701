"""``deskline jobs``: failed jobs listed with their reason, one job shown with its attempts,
a failed job put back in the queue — on the database directly, like ``deskline db``."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskline.cli import app
from deskline.errors import PermanentJobError
from deskline.outbox import Worker, WorkerOptions, enqueue, register_handler, unregister_handler
from deskline.outbox.handlers import JobContext
from deskline.store.db import Database
from deskline.store.repositories.job_claims import ClaimedJob

runner = CliRunner()


async def refuse(job: ClaimedJob, context: JobContext) -> str | None:
    raise PermanentJobError("the helpdesk answered 422: requester_id is invalid")


async def _seed(url: str) -> dict[str, int]:
    db = Database(url)
    register_handler("test.refused", refuse, replace=True)
    try:
        async with db.transaction() as session:
            failed = await enqueue(session, "test.refused", {"call_id": "c1"})
            done = await enqueue(session, "test.echo", {"message": "ok"})
            waiting = await enqueue(session, "test.echo", {"message": "later"})
            ids = {"failed": failed.id, "done": done.id, "waiting": waiting.id}
        worker = Worker(db, "cli-test", WorkerOptions(poll_seconds=0.01))
        assert await worker.run_once() and await worker.run_once()
        return ids
    finally:
        unregister_handler("test.refused")
        await db.dispose()


@pytest.fixture
def database(sqlite_template: Path, tmp_path: Path) -> tuple[str, dict[str, int]]:
    path = tmp_path / "deskline.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    return url, asyncio.run(_seed(url))


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_failed_jobs_with_their_reason(database: tuple[str, dict[str, int]]) -> None:
    url, ids = database
    code, out, _ = run("jobs", "list", "--state", "failed", "--url", url)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["ID", "STATE", "ATTEMPTS"]
    assert len(lines) == 2 and lines[1].split()[:4] == [
        str(ids["failed"]),
        "failed",
        "1/10",
        "test.refused",
    ]
    assert "requester_id is invalid" in lines[1]

    code, out, _ = run("jobs", "list", "--json", "--url", url)
    listed = json.loads(out)
    assert code == 0
    assert [(j["id"], j["state"]) for j in listed] == [
        (ids["waiting"], "pending"),
        (ids["done"], "succeeded"),
        (ids["failed"], "failed"),
    ]


def test_show_a_job_with_every_attempt(database: tuple[str, dict[str, int]]) -> None:
    url, ids = database
    code, out, _ = run("jobs", "show", str(ids["failed"]), "--json", "--url", url)
    shown = json.loads(out)
    assert code == 0
    assert shown["payload"] == {"call_id": "c1"}
    assert [(a["number"], a["outcome"], a["worker"]) for a in shown["attempt_log"]] == [
        (1, "failed", "cli-test")
    ]
    code, out, _ = run("jobs", "show", str(ids["failed"]), "--url", url)
    assert code == 0 and "#1" in out and "requester_id is invalid" in out

    code, _, err = run("jobs", "show", "999", "--url", url)
    assert code == 1 and "no job 999" in err


def test_retry_puts_a_failed_job_back_and_refuses_others(
    database: tuple[str, dict[str, int]],
) -> None:
    url, ids = database
    code, out, _ = run("jobs", "retry", str(ids["failed"]), "--url", url)
    assert code == 0 and "pending again" in out
    code, out, _ = run("jobs", "show", str(ids["failed"]), "--json", "--url", url)
    shown = json.loads(out)
    assert shown["state"] == "pending" and shown["max_attempts"] == 2

    code, _, err = run("jobs", "retry", str(ids["done"]), "--url", url)
    assert code == 1 and "only failed jobs can be retried" in err
    code, _, err = run("jobs", "retry", "999", "--url", url)
    assert code == 1 and "no job 999" in err


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://nobody:secret@127.0.0.1:1/none"
    code, _, err = run("jobs", "list", "--url", url)
    assert code == 1 and "cannot read the jobs" in err and "secret" not in err
