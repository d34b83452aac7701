"""Outbox jobs through the API: listed by state, each attempt visible, failed ones retried."""

from __future__ import annotations

from deskline.errors import PermanentJobError
from deskline.outbox import ClaimedJob, JobContext, Worker, WorkerOptions, enqueue, job_handler
from tests.web.conftest import Server


@job_handler("test.web.refused")
async def refused(job: ClaimedJob, context: JobContext) -> str | None:
    raise PermanentJobError("the helpdesk said 422: subject is required")


async def test_a_failed_job_shows_its_attempt_and_can_be_retried(server: Server) -> None:
    async with server.runtime.db.transaction() as session:
        job = await enqueue(session, "test.web.refused", {"call": "x"})
        await enqueue(session, "test.echo", {"message": "fine"})
    worker = Worker(server.runtime.db, "w1", WorkerOptions(poll_seconds=0.05))
    assert await worker.run_once() and await worker.run_once()

    failed = (await server.admin.get("/api/jobs", params={"state": "failed"})).json()
    assert [j["id"] for j in failed["jobs"]] == [job.id]
    detail = (await server.admin.get(f"/api/jobs/{job.id}")).json()
    assert detail["payload"] == {"call": "x"}
    [attempt] = detail["attempt_log"]
    assert attempt["outcome"] == "failed" and "subject is required" in attempt["detail"]

    retried = await server.admin.post(f"/api/jobs/{job.id}/retry")
    assert retried.status_code == 200 and retried.json()["state"] == "pending"
    again = await server.admin.post(f"/api/jobs/{job.id}/retry")
    assert again.status_code == 409 and "only failed jobs" in again.json()["message"]
    status = (await server.admin.get("/api/status")).json()
    assert status["jobs"]["pending"] == 1 and status["jobs"]["succeeded"] == 1
    assert status["oldest_pending_job_age_seconds"] >= 0


async def test_unknown_jobs_and_states(server: Server) -> None:
    assert (await server.admin.get("/api/jobs/424242")).status_code == 404
    assert (await server.admin.post("/api/jobs/424242/retry")).status_code == 404
    bad = await server.admin.get("/api/jobs", params={"state": "exploded"})
    assert bad.status_code == 422 and bad.json()["message"] == "the request is invalid"
