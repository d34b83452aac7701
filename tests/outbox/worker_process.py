"""A real outbox worker process for the crash test: ``python -m tests.outbox.worker_process``.

Arguments: the database URL, a work directory, a worker id and the lease in seconds. Its job
kind ``test.side_effect`` appends one line per execution to ``<dir>/executions.log`` and, while
``<dir>/block`` exists, blocks inside the job (so the test can kill the process mid-job). On
success it records the job's effect in ``settings_kv`` in the same transaction as the success.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.outbox import (
    ClaimedJob,
    JobContext,
    JobHandler,
    Worker,
    WorkerOptions,
    register_handler,
)
from deskline.store.db import Database
from deskline.store.repositories.settings import get_setting, put_setting

KIND = "test.side_effect"


def side_effect_handler(workdir: Path) -> JobHandler:
    async def run(job: ClaimedJob, context: JobContext) -> str:
        with (workdir / "executions.log").open("a") as log:
            log.write(f"{job.id} {os.getpid()} {context.worker_id}\n")
        while (workdir / "block").exists():
            await asyncio.sleep(0.02)

        async def count_effect(session: AsyncSession) -> None:
            key = f"effect:{job.id}"
            await put_setting(session, key, int(await get_setting(session, key, 0)) + 1)

        context.on_success(count_effect)
        return "done"

    return run


async def main(url: str, workdir: Path, worker_id: str, lease: float) -> None:
    register_handler(KIND, side_effect_handler(workdir), replace=True)
    db = Database(url)
    options = WorkerOptions(poll_seconds=0.05, lease_seconds=lease)
    try:
        await Worker(db, worker_id, options).run(asyncio.Event())
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])))
