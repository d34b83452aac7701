"""The worker: runs jobs, records every attempt, retries with backoff, fails for good."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.errors import JobError, PermanentJobError
from deskline.outbox import (
    AttemptOutcome,
    ClaimedJob,
    JobContext,
    JobState,
    RetryPolicy,
    Worker,
    WorkerOptions,
    attempts_of,
    enqueue,
    get_job,
    retry_job,
)
from deskline.outbox.handlers import DirectWrite
from deskline.pipeline.actions import actions_of_call, record_done_actions
from deskline.store.db import Database
from deskline.store.direct_transaction import DirectTransaction, Statements
from deskline.store.models import Job
from deskline.store.repositories.settings import get_setting, put_setting
from tests.outbox.conftest import HandlerRegistry

FAST = WorkerOptions(poll_seconds=0.02, lease_seconds=5, retry=RetryPolicy(0, 0))


async def _add(db: Database, kind: str, payload: dict[str, object] | None = None, **kw: Any) -> int:
    async with db.transaction() as session:
        job = await enqueue(session, kind, payload or {}, **kw)
        return job.id


async def _job(db: Database, job_id: int) -> Job:
    async with db.read() as session:
        job = await get_job(session, job_id)
        assert job is not None
        return job


async def _outcomes(db: Database, job_id: int) -> list[str]:
    async with db.read() as session:
        return [attempt.outcome for attempt in await attempts_of(session, job_id)]


async def _drain(worker: Worker) -> None:
    while await worker.run_once():
        pass


async def test_a_job_runs_once_and_its_attempt_is_recorded(db: Database) -> None:
    job_id = await _add(db, "test.echo", {"message": "created ticket 42"})
    worker = Worker(db, "w1", FAST)

    assert await worker.run_once() is True
    assert await worker.run_once() is False

    job = await _job(db, job_id)
    assert job.state == JobState.SUCCEEDED
    assert job.finished_at is not None
    async with db.read() as session:
        [attempt] = await attempts_of(session, job_id)
    assert attempt.outcome == AttemptOutcome.SUCCEEDED
    assert attempt.worker == "w1"
    assert attempt.detail == "created ticket 42"
    assert attempt.duration_ms >= 0


async def test_failures_are_retried_then_succeed(db: Database, handlers: HandlerRegistry) -> None:
    calls: list[int] = []

    async def flaky(job: ClaimedJob, context: JobContext) -> str:
        calls.append(job.attempt)
        if job.attempt == 1:
            raise JobError("helpdesk answered 503")
        if job.attempt == 2:
            raise ConnectionResetError("peer reset")
        return "ok"

    handlers.add("test.flaky", flaky)
    job_id = await _add(db, "test.flaky", max_attempts=5)
    await _drain(Worker(db, "w1", FAST))

    assert calls == [1, 2, 3]
    assert await _outcomes(db, job_id) == ["retry", "retry", "succeeded"]
    async with db.read() as session:
        attempts = await attempts_of(session, job_id)
    assert attempts[0].detail == "helpdesk answered 503"
    assert attempts[1].detail == "ConnectionResetError: peer reset"
    assert (await _job(db, job_id)).state == JobState.SUCCEEDED


async def test_a_retry_waits_for_its_backoff(db: Database, handlers: HandlerRegistry) -> None:
    async def failing(job: ClaimedJob, context: JobContext) -> None:
        raise JobError("rate limited")

    handlers.add("test.failing", failing)
    job_id = await _add(db, "test.failing")
    slow_retries = WorkerOptions(poll_seconds=0.02, retry=RetryPolicy(3600, 3600))
    worker = Worker(db, "w1", slow_retries)

    before = datetime.now(UTC)
    assert await worker.run_once() is True
    assert await worker.run_once() is False  # not due yet

    job = await _job(db, job_id)
    assert job.state == JobState.PENDING
    assert job.run_after > before
    assert job.last_error == "rate limited"


async def test_retry_after_of_the_error_is_honoured(
    db: Database, handlers: HandlerRegistry
) -> None:
    class RateLimited(JobError):
        retry_after = 900.0

    async def limited(job: ClaimedJob, context: JobContext) -> None:
        raise RateLimited("429")

    handlers.add("test.limited", limited)
    job_id = await _add(db, "test.limited")
    before = datetime.now(UTC)
    await Worker(db, "w1", FAST).run_once()

    job = await _job(db, job_id)
    assert (job.run_after - before).total_seconds() >= 899


async def test_max_attempts_then_failed_and_retry_button(
    db: Database, handlers: HandlerRegistry
) -> None:
    fixed = False

    async def broken(job: ClaimedJob, context: JobContext) -> str:
        if not fixed:
            raise JobError("still down")
        return "finally"

    handlers.add("test.broken", broken)
    job_id = await _add(db, "test.broken", max_attempts=3)
    worker = Worker(db, "w1", FAST)
    await _drain(worker)

    job = await _job(db, job_id)
    assert job.state == JobState.FAILED
    assert job.attempts == 3
    assert job.last_error == "still down (after 3 attempts)"
    assert await _outcomes(db, job_id) == ["retry", "retry", "failed"]

    fixed = True
    async with db.transaction() as session:
        await retry_job(session, job_id)
    await _drain(worker)
    assert (await _job(db, job_id)).state == JobState.SUCCEEDED
    assert await _outcomes(db, job_id) == ["retry", "retry", "failed", "succeeded"]


async def test_permanent_errors_and_unknown_kinds_fail_at_once(
    db: Database, handlers: HandlerRegistry
) -> None:
    async def hopeless(job: ClaimedJob, context: JobContext) -> None:
        raise PermanentJobError("the helpdesk says 422: subject missing")

    handlers.add("test.hopeless", hopeless)
    hopeless_id = await _add(db, "test.hopeless")
    unknown_id = await _add(db, "helpdesk.nonexistent")
    await _drain(Worker(db, "w1", FAST))

    assert await _outcomes(db, hopeless_id) == ["failed"]
    assert (await _job(db, hopeless_id)).last_error == "the helpdesk says 422: subject missing"
    unknown = await _job(db, unknown_id)
    assert unknown.state == JobState.FAILED
    assert unknown.last_error is not None
    assert "no handler for job kind 'helpdesk.nonexistent'" in unknown.last_error


async def test_long_errors_are_truncated(db: Database, handlers: HandlerRegistry) -> None:
    async def verbose(job: ClaimedJob, context: JobContext) -> None:
        raise PermanentJobError("x" * 50_000)

    handlers.add("test.verbose", verbose)
    job_id = await _add(db, "test.verbose")
    await _drain(Worker(db, "w1", FAST))
    async with db.read() as session:
        [attempt] = await attempts_of(session, job_id)
    assert attempt.detail is not None
    assert 100 < len(attempt.detail) <= 2000


async def test_deferred_writes_commit_with_success(db: Database, handlers: HandlerRegistry) -> None:
    async def creates_ticket(job: ClaimedJob, context: JobContext) -> str:
        async def remember(session: AsyncSession) -> None:
            await put_setting(session, f"ticket-of-job:{job.id}", 42)

        context.on_success(remember)
        return "ticket 42"

    async def cannot_save(job: ClaimedJob, context: JobContext) -> str:
        async def broken(session: AsyncSession) -> None:
            raise RuntimeError("constraint violated")

        context.on_success(broken)
        return "done"

    handlers.add("test.creates", creates_ticket)
    handlers.add("test.cannot_save", cannot_save)
    ok_id = await _add(db, "test.creates")
    bad_id = await _add(db, "test.cannot_save", max_attempts=1)
    await _drain(Worker(db, "w1", FAST))

    async with db.read() as session:
        assert await get_setting(session, f"ticket-of-job:{ok_id}") == 42
    bad = await _job(db, bad_id)
    assert bad.state == JobState.FAILED
    assert bad.last_error is not None
    assert "saving the job's result failed" in bad.last_error


async def _saving_spied(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kinds of write transaction opened from now on (``direct`` or ``session``)."""
    opened: list[str] = []
    direct, session = db.direct_transaction, db.transaction

    def spied_direct(**kw: Any) -> Any:
        opened.append("direct")
        return direct(**kw)

    def spied_session(**kw: Any) -> Any:
        opened.append("session")
        return session(**kw)

    monkeypatch.setattr(db, "direct_transaction", spied_direct)
    monkeypatch.setattr(db, "transaction", spied_session)
    return opened


async def _done_actions(db: Database, call_id: str) -> dict[str, str | None]:
    async with db.read() as session:
        found = await actions_of_call(session, "pbx", call_id)
    return {name: row.remote_id for name, row in found.items()}


async def test_an_attempt_whose_writes_are_all_direct_is_recorded_without_a_session(
    db: Database, handlers: HandlerRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    written_on: list[type] = []

    async def creates_ticket(job: ClaimedJob, context: JobContext) -> str:
        async def log_request(on: Statements) -> None:
            written_on.append(type(on))
            await record_done_actions(on, "pbx", "c1", {"logged": ("POST /tickets", {})})

        async def remember(on: Statements) -> None:
            written_on.append(type(on))
            await record_done_actions(on, "pbx", "c1", {"ticket": ("42", {"quote": '"{{x}}"'})})

        context.with_attempt(DirectWrite(log_request))
        context.on_success(DirectWrite(remember))
        return "ticket 42"

    handlers.add("test.creates", creates_ticket)
    job_id = await _add(db, "test.creates")
    worker = Worker(db, "w1", FAST)
    (job,) = await worker.claim_many(1, recover=False)
    opened = await _saving_spied(db, monkeypatch)
    await worker.execute(job)

    assert opened == ["direct"]  # the attempt, its record and its result: one transaction
    assert await _outcomes(db, job_id) == ["succeeded"]
    assert (await _job(db, job_id)).state == JobState.SUCCEEDED
    assert await _done_actions(db, "c1") == {"logged": "POST /tickets", "ticket": "42"}
    expected = DirectTransaction if db.dialect == "sqlite" else AsyncSession
    assert written_on and all(issubclass(kind, expected) for kind in written_on)


async def test_an_attempt_with_an_orm_write_is_recorded_in_a_session(
    db: Database, handlers: HandlerRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def creates_ticket(job: ClaimedJob, context: JobContext) -> str:
        async def remember(on: Statements) -> None:
            await record_done_actions(on, "pbx", "c2", {"ticket": ("43", {})})

        async def orm(session: AsyncSession) -> None:
            await put_setting(session, f"ticket-of-job:{job.id}", 43)

        context.on_success(DirectWrite(remember))
        context.on_success(orm)
        return "ticket 43"

    async def fails(job: ClaimedJob, context: JobContext) -> str:
        context.on_success(lambda session: put_setting(session, "never", 1))
        raise PermanentJobError("refused")  # its success writes never run: no session needed

    handlers.add("test.creates", creates_ticket)
    handlers.add("test.fails", fails)
    ok_id = await _add(db, "test.creates")
    failed_id = await _add(db, "test.fails")
    worker = Worker(db, "w1", FAST)
    claimed = await worker.claim_many(2, recover=False)
    opened = await _saving_spied(db, monkeypatch)
    for job in sorted(claimed, key=lambda job: job.id):
        await worker.execute(job)

    assert opened == ["session", "direct"]
    assert (await _job(db, ok_id)).state == JobState.SUCCEEDED
    assert (await _job(db, failed_id)).state == JobState.FAILED
    assert await _done_actions(db, "c2") == {"ticket": "43"}
    async with db.read() as session:
        assert await get_setting(session, f"ticket-of-job:{ok_id}") == 43
        assert await get_setting(session, "never") is None


async def test_a_finished_jobs_objects_are_freed_without_the_garbage_collector(
    db: Database, handlers: HandlerRegistry
) -> None:
    """A handler's writes and steps are its own bound methods, and its objects hold the
    job's context: a cycle. The worker lets go of them when the attempt is over, so the job's
    objects go at once, not in a collector's pass that stops the loop."""
    freed: list[weakref.ref[object]] = []

    class Ticket:  # as a pipeline job: it holds its context, its writes are its methods
        def __init__(self, context: JobContext) -> None:
            self.context = context
            context.with_attempt(DirectWrite(self.log))
            context.on_success(DirectWrite(self.remember))
            context.after_success(self.pop)

        async def log(self, on: Statements) -> None:
            await record_done_actions(on, "pbx", "c3", {"logged": ("POST", {})})

        async def remember(self, on: Statements) -> None:
            await record_done_actions(on, "pbx", "c3", {"ticket": ("44", {})})

        async def pop(self) -> None:
            pass

    async def creates_ticket(job: ClaimedJob, context: JobContext) -> str:
        freed.append(weakref.ref(Ticket(context)))
        return "ticket 44"

    handlers.add("test.creates", creates_ticket)
    await _add(db, "test.creates")
    gc.collect()
    gc.disable()
    try:
        assert await Worker(db, "w1", FAST).run_once()
        (ticket,) = freed
        assert ticket() is None
    finally:
        gc.enable()
    assert await _done_actions(db, "c3") == {"logged": "POST", "ticket": "44"}


Steps = Callable[[ClaimedJob, JobContext], None]


async def _ok_retried_and_failed(
    db: Database, handlers: HandlerRegistry, steps: Steps
) -> tuple[int, int, int]:
    """Three jobs, run to the end: one succeeds, one fails twice (retried once), one fails for
    good at once; each handler first registers ``steps(job, context)``. Their ids."""

    def registering(outcome: Exception | None) -> Any:
        async def handler(job: ClaimedJob, context: JobContext) -> str:
            steps(job, context)
            if outcome is not None:
                raise outcome
            return "done"

        return handler

    handlers.add("test.ok", registering(None))
    handlers.add("test.retry", registering(JobError("helpdesk busy")))
    handlers.add("test.fails", registering(PermanentJobError("refused")))
    ok_id = await _add(db, "test.ok")
    retry_id = await _add(db, "test.retry", max_attempts=2)
    failed_id = await _add(db, "test.fails")
    await _drain(Worker(db, "w1", FAST))
    assert (await _job(db, ok_id)).state == JobState.SUCCEEDED
    assert await _outcomes(db, retry_id) == ["retry", "failed"]
    assert (await _job(db, failed_id)).state == JobState.FAILED
    return ok_id, retry_id, failed_id


async def _broken() -> None:
    raise RuntimeError("the pop could not be sent")


async def test_after_success_steps_run_once_the_success_is_committed(
    db: Database, handlers: HandlerRegistry
) -> None:
    seen: list[tuple[int, object]] = []

    def steps(job: ClaimedJob, context: JobContext) -> None:
        async def remember(session: AsyncSession) -> None:
            await put_setting(session, f"ticket-of-job:{job.id}", 7)

        async def look(job_id: int = job.id) -> None:
            async with db.read() as session:  # another session sees the committed success
                seen.append((job_id, await get_setting(session, f"ticket-of-job:{job_id}")))
                assert (await _job(db, job_id)).state == JobState.SUCCEEDED

        context.on_success(remember)
        context.after_success(_broken)  # logged; the steps after it still run
        context.after_success(look)

    ok_id, _, _ = await _ok_retried_and_failed(db, handlers, steps)

    assert seen == [(ok_id, 7)]  # never for an attempt that did not succeed


async def test_after_failure_steps_run_once_the_failure_for_good_is_committed(
    db: Database, handlers: HandlerRegistry
) -> None:
    seen: list[tuple[int, int]] = []

    def steps(job: ClaimedJob, context: JobContext) -> None:
        async def look(job_id: int = job.id, attempt: int = job.attempt) -> None:
            assert (await _job(db, job_id)).state == JobState.FAILED  # seen committed
            seen.append((job_id, attempt))

        context.after_failure(_broken)  # logged; the steps after it still run
        context.after_failure(look)

    _, retry_id, failed_id = await _ok_retried_and_failed(db, handlers, steps)

    # once per job that failed for good, after its last attempt; never after a success or an
    # attempt that is tried again
    assert sorted(seen) == sorted([(retry_id, 2), (failed_id, 1)])


async def test_a_record_of_the_attempt_that_cannot_be_saved_does_not_cost_the_attempt(
    db: Database, handlers: HandlerRegistry
) -> None:
    async def logs_badly(job: ClaimedJob, context: JobContext) -> str:
        async def good_log(session: AsyncSession) -> None:
            await put_setting(session, f"log-of-job:{job.id}", "kept")

        async def broken_log(session: AsyncSession) -> None:
            await put_setting(session, f"half-log-of-job:{job.id}", "rolled back")
            raise RuntimeError("request log rejected")

        async def remember(session: AsyncSession) -> None:
            await put_setting(session, f"ticket-of-job:{job.id}", 7)

        context.with_attempt(good_log)
        context.with_attempt(broken_log)
        context.on_success(remember)
        return "ticket 7"

    handlers.add("test.logs_badly", logs_badly)
    job_id = await _add(db, "test.logs_badly")
    await _drain(Worker(db, "w1", FAST))

    assert (await _job(db, job_id)).state == JobState.SUCCEEDED
    assert await _outcomes(db, job_id) == ["succeeded"]
    async with db.read() as session:
        assert await get_setting(session, f"ticket-of-job:{job_id}") == 7
        # the records went together or not at all, and nothing of the broken one stayed
        assert await get_setting(session, f"log-of-job:{job_id}") is None
        assert await get_setting(session, f"half-log-of-job:{job_id}") is None


async def test_records_of_the_attempt_stay_when_its_result_cannot_be_saved(
    db: Database, handlers: HandlerRegistry
) -> None:
    async def cannot_save(job: ClaimedJob, context: JobContext) -> str:
        async def log_request(session: AsyncSession) -> None:
            await put_setting(session, f"log-of-job:{job.id}", "POST /tickets 201")

        async def broken(session: AsyncSession) -> None:
            raise RuntimeError("constraint violated")

        context.with_attempt(log_request)
        context.on_success(broken)
        return "done"

    handlers.add("test.cannot_save", cannot_save)
    job_id = await _add(db, "test.cannot_save", max_attempts=1)
    await _drain(Worker(db, "w1", FAST))

    assert (await _job(db, job_id)).state == JobState.FAILED
    async with db.read() as session:
        assert await get_setting(session, f"log-of-job:{job_id}") == "POST /tickets 201"


async def test_jobs_with_one_ordering_key_run_in_order_across_two_workers(
    db: Database, handlers: HandlerRegistry
) -> None:
    ran: list[tuple[str, int]] = []
    ran_by: set[str] = set()

    async def step(job: ClaimedJob, context: JobContext) -> None:
        await asyncio.sleep(0.001 * (job.id % 3))
        if job.payload["seq"] == 2 and job.attempt == 1:
            raise JobError("a retry must not let later jobs of the key overtake")
        ran.append((str(job.payload["call"]), int(str(job.payload["seq"]))))
        ran_by.add(context.worker_id)

    handlers.add("test.step", step)
    for seq in range(6):
        for call in ("a", "b", "c"):
            await _add(db, "test.step", {"call": call, "seq": seq}, ordering_key=f"call:{call}")

    stop = asyncio.Event()
    workers = [Worker(db, f"w{n}", FAST) for n in (1, 2)]
    tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
    async with asyncio.timeout(30):
        while len(ran) < 18:
            await asyncio.sleep(0.02)
    stop.set()
    await asyncio.gather(*tasks)

    for call in ("a", "b", "c"):
        assert [seq for name, seq in ran if name == call] == list(range(6))
    assert ran_by == {"w1", "w2"}


class ServiceDown(JobError):
    unavailable_service = "crm"


async def test_jobs_waiting_for_a_service_are_due_as_soon_as_it_answers_again(
    db: Database, handlers: HandlerRegistry
) -> None:
    up = False
    ran: list[str] = []

    async def needs_crm(job: ClaimedJob, context: JobContext) -> None:
        ran.append(str(job.payload["name"]))
        if not up:
            raise ServiceDown("crm answered 503")
        context.service_answered("crm")

    async def other_trouble(job: ClaimedJob, context: JobContext) -> None:
        raise JobError("recording not ready")  # not the service's fault: keeps its backoff

    handlers.add("test.crm", needs_crm)
    handlers.add("test.other", other_trouble)
    slow_retries = WorkerOptions(poll_seconds=0.02, retry=RetryPolicy(3600, 3600))
    worker = Worker(db, "w1", slow_retries)
    waiting = [await _add(db, "test.crm", {"name": f"w{n}"}) for n in range(3)]
    other = await _add(db, "test.other")
    await _drain(worker)
    assert sorted(ran) == ["w0", "w1", "w2"]
    assert await worker.run_once() is False  # all backed off for an hour

    up = True
    fresh = await _add(db, "test.crm", {"name": "fresh"})
    assert await worker.run_once() is True  # a new job gets through: the crm answers again
    await _drain(worker)

    assert ran[3:] == ["fresh", "w0", "w1", "w2"]  # the waiting ones went at once
    for job_id in [*waiting, fresh]:
        assert (await _job(db, job_id)).state == JobState.SUCCEEDED
        assert (await _outcomes(db, job_id))[-1] == AttemptOutcome.SUCCEEDED
    assert (await _job(db, other)).state == JobState.PENDING  # still waits for its backoff
    assert await _outcomes(db, other) == [AttemptOutcome.RETRY]


async def test_jobs_another_worker_put_back_are_due_when_this_one_gets_an_answer(
    db: Database, handlers: HandlerRegistry
) -> None:
    """Two processes: the jobs worker A put back while the crm was down go as soon as worker
    B's request gets an answer (each job row says what it waits for)."""
    up = False
    ran: list[str] = []

    async def needs_crm(job: ClaimedJob, context: JobContext) -> None:
        ran.append(str(job.payload["name"]))
        if not up:
            raise ServiceDown("crm answered 503")
        context.service_answered("crm")

    handlers.add("test.crm", needs_crm)
    slow_retries = WorkerOptions(poll_seconds=0.02, retry=RetryPolicy(3600, 3600))
    a, b = Worker(db, "a", slow_retries), Worker(db, "b", slow_retries)
    waiting = [await _add(db, "test.crm", {"name": f"w{n}"}) for n in range(2)]
    await _drain(a)
    assert [(await _job(db, j)).waiting_for for j in waiting] == ["crm", "crm"]
    assert await b.run_once() is False  # backed off for an hour

    up = True
    await _add(db, "test.crm", {"name": "fresh"})
    assert await b.run_once() is True  # B's request gets an answer
    await _drain(b)

    assert ran[2:] == ["fresh", "w0", "w1"]
    for job_id in waiting:
        job = await _job(db, job_id)
        assert (job.state, job.waiting_for) == (JobState.SUCCEEDED, None)


async def test_a_worker_asks_for_other_workers_waiting_jobs_at_most_once_an_interval(
    db: Database, handlers: HandlerRegistry
) -> None:
    """A healthy service costs no statement per job: a worker that put nothing back itself
    looks for jobs waiting for the service at most every ``release_interval_seconds``."""
    up = True

    async def needs_crm(job: ClaimedJob, context: JobContext) -> None:
        if not up:
            raise ServiceDown("crm answered 503")
        context.service_answered("crm")

    handlers.add("test.crm", needs_crm)
    slow_retries = WorkerOptions(poll_seconds=0.02, retry=RetryPolicy(3600, 3600))
    a = Worker(db, "a", slow_retries)
    b = Worker(db, "b", replace(slow_retries, release_interval_seconds=3600))
    await _add(db, "test.crm")
    assert await b.run_once() is True  # B released (nothing) just now
    up = False
    waiting = await _add(db, "test.crm")
    await _drain(a)
    up = True
    await _add(db, "test.crm")
    assert await b.run_once() is True  # an answer, but B looked less than an interval ago

    assert (await _job(db, waiting)).state == JobState.PENDING
    assert await b.run_once() is False


async def test_a_helpdesk_error_says_when_the_helpdesk_was_unavailable() -> None:
    from deskline.errors import HelpdeskError

    assert HelpdeskError("down", outcome="retry", status_code=503).unavailable_service
    assert HelpdeskError("timeout", outcome="retry").unavailable_service == "helpdesk"
    assert (
        HelpdeskError("429", outcome="retry", status_code=429, retry_after=2).unavailable_service
        is None
    )
    assert HelpdeskError("bad", outcome="fail", status_code=500).unavailable_service is None
    assert (
        HelpdeskError(
            "503 with Retry-After", outcome="retry", status_code=503, retry_after=30
        ).unavailable_service
        is None
    )


@pytest.mark.postgres
async def test_on_postgresql_an_idle_worker_claims_a_job_added_elsewhere_at_once(
    postgres_db: Database,
) -> None:
    """Its poll is a minute away: the notice that comes with each job wakes it."""
    db = postgres_db
    worker = Worker(db, "w1", replace(FAST, poll_seconds=60.0))
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0)
        assert worker.notices is not None
        await asyncio.wait_for(worker.notices.listening.wait(), 10)
        await asyncio.sleep(0.1)  # its first look (on listening) is over: idle now
        first = await _add(db, "test.echo", {"message": "one"})
        second = await _add(db, "test.echo", {"message": "two"})
        for job_id in (first, second):
            await _until_succeeded(db, job_id)
    finally:
        worker.stop()
        await asyncio.wait_for(running, 10)
    assert not worker.notices.listening.is_set()


async def _until_succeeded(db: Database, job_id: int, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while (await _job(db, job_id)).state != JobState.SUCCEEDED:
        assert asyncio.get_running_loop().time() < deadline, f"job {job_id} was not run"
        await asyncio.sleep(0.02)
