"""A worker process killed with SIGKILL mid-job: nothing lost, success recorded exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from deskline.outbox import JobState, Worker, WorkerOptions, attempts_of, enqueue, list_jobs
from deskline.store.db import Database
from deskline.store.repositories.settings import get_setting
from tests.conftest import REPO_ROOT
from tests.outbox.conftest import HandlerRegistry
from tests.outbox.worker_process import KIND, side_effect_handler

pytestmark = pytest.mark.slow


def _start_worker(db: Database, workdir: Path, worker_id: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.outbox.worker_process", db.url, str(workdir), worker_id, "1"],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def _executions(workdir: Path) -> list[str]:
    log = workdir / "executions.log"
    return log.read_text().splitlines() if log.exists() else []


async def test_killed_worker_loses_nothing_and_duplicates_nothing(
    db: Database, tmp_path: Path, handlers: HandlerRegistry
) -> None:
    (tmp_path / "block").touch()
    async with db.transaction() as session:
        ids = [(await enqueue(session, KIND, {"n": n}, ordering_key="call:1")).id for n in range(4)]

    victim = _start_worker(db, tmp_path, "victim")
    try:
        async with asyncio.timeout(30):
            while not _executions(tmp_path):  # the victim is inside the first job
                await asyncio.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert victim.returncode == -signal.SIGKILL

    (tmp_path / "block").unlink()
    handlers.add(KIND, side_effect_handler(tmp_path))
    survivor = Worker(db, "survivor", WorkerOptions(poll_seconds=0.05, lease_seconds=1))
    async with asyncio.timeout(30):  # the victim's lease runs out after a second
        while True:
            async with db.read() as session:
                jobs = await list_jobs(session)
            if all(job.state == JobState.SUCCEEDED for job in jobs):
                break
            if not await survivor.run_once():
                await asyncio.sleep(0.1)

    assert await survivor.run_once() is False  # a recorded success never runs again
    executions = _executions(tmp_path)
    assert [line.split()[0] for line in executions] == [str(ids[0])] + [str(i) for i in ids]
    assert executions[0].endswith("victim")
    async with db.read() as session:
        for job_id in ids:
            assert await get_setting(session, f"effect:{job_id}") == 1
        first_attempts = await attempts_of(session, ids[0])
    assert [(a.worker, a.outcome) for a in first_attempts] == [
        ("victim", "lease_expired"),
        ("survivor", "succeeded"),
    ]
