"""Retries, crashes and a helpdesk that needs re-authorization: nothing twice, nothing lost."""

from __future__ import annotations

from sqlalchemy import update

from deskline.outbox import JobContext
from deskline.store.models import HelpdeskConnection
from tests.pipeline.harness import Desk, inbound_answered, queue_answered

RUTH = "+15135557611"


async def test_a_ticket_job_killed_before_its_success_makes_no_second_ticket(desk: Desk) -> None:
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    # run the jobs before the ticket (lookup) normally
    while True:
        job = await desk.worker.claim()
        assert job is not None
        if job.kind == "helpdesk.create_ticket":
            break
        await desk.worker.execute(job)
    # the worker dies after Zendesk answered: its success (and the ticket id) never commit
    from deskline.outbox import handler_for

    await handler_for(job.kind)(job, JobContext(db=desk.db, worker_id="doomed"))
    assert len(desk.tickets()) == 1  # Zendesk made the ticket; deskline recorded nothing
    # the lease expires; another worker runs the job again
    async with desk.db.transaction() as session:
        from deskline.store.models import Job

        await session.execute(
            update(Job).where(Job.id == job.id).values(state="pending", locked_by=None)
        )
    await desk.work()

    assert len(desk.tickets()) == 1  # Idempotency-Key: the same ticket came back
    replays = [
        r for r in desk.requests("POST", "/api/v2/tickets*") if r.headers.get("idempotency-key")
    ]
    assert len(replays) == 2
    assert len({r.headers["idempotency-key"] for r in replays}) == 1
    actions = await desk.actions()
    assert actions["ticket@c1"].remote_id == str(desk.tickets()[0]["id"])


async def test_a_retried_ticket_job_after_success_sends_nothing(desk: Desk) -> None:
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()
    sent = len(desk.api_requests())
    ticket_job = next(j for j in await desk.jobs() if j.kind == "helpdesk.create_ticket")
    from deskline.store.models import Job

    async with desk.db.transaction() as session:  # the job is delivered once more
        await session.execute(update(Job).where(Job.id == ticket_job.id).values(state="pending"))
    await desk.work()
    assert len(desk.api_requests()) == sent


async def test_queue_call_journals_only_the_answering_agent(tmp_path, sqlite_db, zendesk) -> None:  # type: ignore[no-untyped-def]
    from tests.pipeline.harness import DEFAULT_SETTINGS, connect_desk

    agents = (
        ("2005", "Kristin Hale", "kristin@acme.test"),
        ("2006", "Omar Diaz", "omar@acme.test"),
    )
    settings = {**DEFAULT_SETTINGS, "tickets": {"enabled": True, "timing": "before_call"}}
    desk = await connect_desk(sqlite_db, tmp_path, zendesk, settings=settings, agents=agents)
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*queue_answered("q1", RUTH, rung="2005", answering="2006"))
    await desk.settle()
    await desk.work()
    (ticket,) = desk.tickets()
    voices = [c for c in ticket["comments"] if c.get("type") == "VoiceComment"]
    assert len(voices) == 1
    assert voices[0]["data"]["answered_by_id"] == desk.agents["2006"].id
    assert ticket["assignee_id"] == desk.agents["2006"].id

    # without "skip missed for unanswered agents" the agent who missed it is logged too
    await desk.set_settings(skip_missed_for_unanswered_agents=False)
    await desk.events(*queue_answered("q2", RUTH, rung="2005", answering="2006"))
    await desk.settle()
    await desk.work()
    second = desk.tickets()[1]
    voices = [c for c in second["comments"] if c.get("type") == "VoiceComment"]
    assert len(voices) == 2
    await desk.pipeline.provider.aclose()


async def test_jobs_wait_while_the_helpdesk_needs_reauthorization(desk: Desk) -> None:
    async with desk.db.transaction() as session:
        await session.execute(
            update(HelpdeskConnection)
            .where(HelpdeskConnection.id == desk.connection_id)
            .values(status="needs_reauth")
        )
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()

    assert desk.api_requests() == []
    jobs = await desk.jobs()
    assert jobs and all(j.state == "pending" for j in jobs)
    assert all(j.max_attempts == 10 + j.attempts for j in jobs)  # waiting never uses a job up
    assert any((j.last_error or "").startswith("waiting:") for j in jobs)

    # re-authorized: the jobs run when their wait is over
    async with desk.db.transaction() as session:
        await session.execute(
            update(HelpdeskConnection)
            .where(HelpdeskConnection.id == desk.connection_id)
            .values(status="connected")
        )
        from deskline.store.models import Job

        await session.execute(update(Job).values(run_after=Job.created_at))
    await desk.work()
    assert len(desk.tickets()) == 1


async def test_revoked_tokens_mark_the_connection_and_jobs_wait(desk: Desk) -> None:
    desk.emulator.revoke_tokens()
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()

    async with desk.db.read() as session:
        row = await session.get(HelpdeskConnection, desk.connection_id)
        assert row is not None
        assert row.status == "needs_reauth"
    jobs = await desk.jobs()
    assert all(j.state == "pending" for j in jobs)
    assert desk.tickets() == []


async def test_a_429_is_retried_after_the_helpdesk_s_delay(desk: Desk) -> None:
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    desk.emulator.start_429_storm(requests=1, retry_after=7)
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()
    jobs = await desk.jobs()
    lookup = next(j for j in jobs if j.kind == "helpdesk.lookup")
    assert lookup.state == "pending" and lookup.attempts == 1
    assert (lookup.run_after - lookup.updated_at).total_seconds() >= 6.5
