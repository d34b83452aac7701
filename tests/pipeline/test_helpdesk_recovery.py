"""Jobs that failed because Zendesk was unavailable go as soon as it answers again."""

from __future__ import annotations

from deskline.outbox import RetryPolicy, Worker, WorkerOptions
from tests.pipeline.harness import Desk, inbound_answered

RUTH = "+15135557611"
OMAR = "+15135557622"


async def test_a_ticket_held_back_by_a_503_goes_once_zendesk_answers_again(desk: Desk) -> None:
    hour_backoff = WorkerOptions(poll_seconds=0.01, lease_seconds=30, retry=RetryPolicy(3600, 3600))
    desk.worker = Worker(desk.db, "recovery-worker", hour_backoff)
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    desk.emulator.add_user("Omar Haddad", phone=OMAR)
    desk.emulator.inject_fault("/api/v2/tickets*", "error", status=503, times=1)

    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()
    assert desk.tickets() == []
    (held,) = [job for job in await desk.jobs() if job.kind == "helpdesk.create_ticket"]
    assert held.state == "pending" and "503" in (held.last_error or "")

    await desk.events(*inbound_answered("c2", OMAR))  # Zendesk is back: Omar's ticket works
    await desk.settle()
    await desk.work()

    subjects = sorted(ticket["subject"] for ticket in desk.tickets())
    assert len(subjects) == 2  # Ruth's did not wait out its hour of backoff
    assert any(RUTH in subject for subject in subjects)
    assert all(job.state == "succeeded" for job in await desk.jobs())
