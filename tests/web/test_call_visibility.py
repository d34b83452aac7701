"""F32 per call: a call's detail lists every helpdesk request sent for it (in order, with
status, outcome, duration and a short excerpt) and its jobs with every attempt; the
connection's health shows on ``/api/status``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from deskline.errors import JobError
from deskline.outbox import Worker, WorkerOptions, enqueue, register_handler, unregister_handler
from deskline.outbox.handlers import JobContext
from deskline.pbx.simulator.scenario import CallScenario
from deskline.store.models import HelpdeskConnection, HelpdeskRequestLog, Job
from deskline.store.repositories.job_claims import ClaimedJob
from deskline.store.types import utcnow
from tests.web.calls_helpers import decided_calls, post_call
from tests.web.conftest import Server


def logged(call_id: str | None, seconds_ago: float, **values: object) -> HelpdeskRequestLog:
    row: dict[str, object] = {
        "connection_id": 1,
        "source": "simulator" if call_id else None,
        "pbx_call_id": call_id,
        "scenario": "SyncContactAuto",
        "request_name": "End-user",
        "method": "GET",
        "url": "https://acme.zendesk.com/api/v2/search?query=phone%3A*5551234567",
        "status_code": 200,
        "outcome": "success",
        "duration_ms": 42,
        "excerpt": '{"results": []}',
        "at": utcnow() - timedelta(seconds=seconds_ago),
        **values,
    }
    return HelpdeskRequestLog(**row)


async def flaky(job: ClaimedJob, context: JobContext) -> str | None:
    if job.attempt == 1:
        raise JobError("helpdesk answered 503")
    return "ticket 42"


async def test_call_detail_lists_its_helpdesk_requests_and_jobs_with_attempts(
    server: Server,
) -> None:
    await post_call(server, CallScenario(caller="+15551234567", callee="2005"))
    [call] = await decided_calls(server, 1)
    call_id = call["call"]["call_id"]
    async with server.runtime.db.transaction() as session:
        session.add(logged(call_id, 9))
        session.add(
            logged(
                call_id,
                5,
                scenario="CreateNewTicket",
                request_name="CreateTicket",
                method="POST",
                url="https://acme.zendesk.com/api/v2/tickets",
                status_code=503,
                outcome="retry",
                excerpt="Service Unavailable",
            )
        )
        session.add(logged("another-call", 3))
        await enqueue(session, "test.flaky", {}, ordering_key=f"call:simulator:{call_id}")
    register_handler("test.flaky", flaky, replace=True)
    try:
        worker = Worker(server.runtime.db, "w1", WorkerOptions(poll_seconds=0.01))
        assert await worker.run_once()
        async with server.runtime.db.transaction() as session:  # the retry is due now
            await session.execute(update(Job).values(run_after=utcnow()))
        assert await worker.run_once()
    finally:
        unregister_handler("test.flaky")

    detail = (await server.admin.get(f"/api/calls/{call['id']}")).json()
    requests = detail["helpdesk_requests"]
    assert [(r["scenario"], r["method"], r["status"], r["outcome"]) for r in requests] == [
        ("SyncContactAuto", "GET", 200, "success"),
        ("CreateNewTicket", "POST", 503, "retry"),
    ]
    assert requests[1]["request"] == "CreateTicket"
    assert requests[1]["excerpt"] == "Service Unavailable"
    assert requests[0]["duration_ms"] == 42 and requests[0]["at"]
    [job] = detail["jobs"]
    assert job["state"] == "succeeded" and job["attempts"] == 2
    assert [(a["number"], a["outcome"]) for a in job["attempt_log"]] == [
        (1, "retry"),
        (2, "succeeded"),
    ]
    assert job["attempt_log"][0]["detail"] == "helpdesk answered 503"
    alone = (await server.admin.get(f"/api/calls/{call['id']}/requests")).json()
    assert alone == requests
    missing = await server.admin.get("/api/calls/999999/requests")
    assert missing.status_code == 404


async def add_connection(server: Server, **values: object) -> None:
    async with server.runtime.db.transaction() as session:
        row = HelpdeskConnection(
            template_key="zendesk",
            name="Zendesk",
            status="connected",
            enabled=True,
            fields={"subdomain": "acme"},
            settings={},
            connected_at=utcnow(),
        )
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


async def helpdesk_status(server: Server) -> dict[str, object] | None:
    status = (await server.admin.get("/api/status")).json()
    health: dict[str, object] | None = status["helpdesk"]
    return health


async def test_status_shows_the_helpdesk_health_from_recent_outcomes(server: Server) -> None:
    assert await helpdesk_status(server) is None  # nothing connected
    await add_connection(server)
    health = await helpdesk_status(server)
    assert health is not None and health["state"] == "active"
    assert health["recent_requests"] == {} and health["last_failure"] is None

    async with server.runtime.db.transaction() as session:
        session.add(logged(None, 30))
        session.add(logged(None, 2, status_code=429, outcome="retry", excerpt="Too Many"))
        session.add(logged(None, 3600, status_code=500, outcome="retry"))  # long ago
    health = await helpdesk_status(server)
    assert health is not None and health["state"] == "retrying"
    assert health["recent_requests"] == {"success": 1, "retry": 1}
    assert health["last_failure"]["status"] == 429  # type: ignore[index]

    async with server.runtime.db.transaction() as session:
        session.add(logged(None, 1))  # the helpdesk answers again
    health = await helpdesk_status(server)
    assert health is not None and health["state"] == "active"


async def test_status_shows_needs_reauth_and_disabled(server: Server) -> None:
    await add_connection(server, status="needs_reauth", status_detail="invalid_token")
    health = await helpdesk_status(server)
    assert health is not None and health["state"] == "needs_reauth"
    assert health["status_detail"] == "invalid_token"

    async with server.runtime.db.transaction() as session:
        row = await session.get(HelpdeskConnection, 1)
        assert row is not None
        row.enabled = False
    health = await helpdesk_status(server)
    assert health is not None and health["state"] == "disabled"
    status = (await server.admin.get("/api/status")).json()
    # these servers run no outbox worker and no Redis: the workers' pops come through the
    # database
    assert status["pops"] == "database"
    assert set(status["jobs"]) == {"pending", "running", "succeeded", "failed"}
