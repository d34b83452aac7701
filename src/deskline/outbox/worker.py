"""The outbox worker: claims due jobs, runs their handlers, records every attempt.

One attempt = claim (commit: the job is ``running`` under a lease) → run the handler, renewing
the lease meanwhile → finish (commit: the attempt row, the job's new state and the handler's
deferred writes, together). A worker that dies mid-job stops renewing its lease; once it has
expired any worker records the lost attempt and runs the job again. A job whose success was
committed is never claimed again.

A handler that runs into the helpdesk's request budget (:class:`~deskline.budget.BudgetExhausted`,
raised directly or as the cause of another error) is *deferred*: the job goes back to the queue
until the budget has room, with no attempt recorded or counted. While a handler runs, its log
lines carry the job's call id and its helpdesk requests the priority of its kind
(:func:`~deskline.budget.priority_for_job_kind`). Attempts are counted in
``deskline_job_attempts_total{kind,outcome}``.

An idle worker looks for due jobs every ``poll_seconds``, and at once when its own process
enqueued one (:meth:`Worker.wake`) or, on PostgreSQL, when another process did (a notice on
``deskline_jobs``, :mod:`deskline.store.notices`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from deskline.budget import budget_wait_of, priority_for_job_kind, request_priority
from deskline.errors import JobError, PermanentJobError
from deskline.observability.context import bind_call_id, call_id_of_job
from deskline.observability.metrics import JOB_ATTEMPTS
from deskline.outbox.backoff import RetryPolicy, retry_delay
from deskline.outbox.enqueue import JOBS_CHANNEL
from deskline.outbox.handlers import (
    AfterCommit,
    DeferredWrite,
    DirectWrite,
    JobContext,
    handler_for,
    runs_direct,
)
from deskline.settings import Settings
from deskline.store.db import Database
from deskline.store.direct_transaction import Statements, orm_session
from deskline.store.models import AttemptOutcome
from deskline.store.notices import ChannelListener, listens
from deskline.store.repositories import job_claims
from deskline.store.repositories.job_claims import ClaimedJob
from deskline.store.types import utcnow

log = logging.getLogger(__name__)

DEFERRED = "deferred"


@dataclass(frozen=True)
class WorkerOptions:
    poll_seconds: float = 1.0
    lease_seconds: float = 60.0
    concurrency: int = 1
    """Jobs run at the same time (``DESKLINE_WORKER_CONCURRENCY`` for serve and worker)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    release_interval_seconds: float = 1.0
    """How often a worker whose requests get answers makes due the jobs other workers put
    back because the service was unavailable (its own: at once)."""

    def __post_init__(self) -> None:
        if self.lease_seconds <= 0 or self.poll_seconds <= 0 or self.concurrency < 1:
            raise ValueError("poll_seconds and lease_seconds must be > 0, concurrency >= 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerOptions:
        return cls(concurrency=settings.worker_concurrency)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class _Result:
    outcome: AttemptOutcome
    detail: str | None
    retry_after: float | None = None
    #: held back by the request budget: back to the queue, the attempt not counted
    deferred: bool = False
    #: the service whose unavailability made the attempt fail (see JobContext.service_answered)
    unavailable_service: str | None = None

    @property
    def label(self) -> str:
        return DEFERRED if self.deferred else self.outcome.value


class Worker:
    """Runs outbox jobs until stopped; ``run()`` is the long-running coroutine."""

    def __init__(
        self, db: Database, worker_id: str | None = None, options: WorkerOptions | None = None
    ) -> None:
        self.db = db
        self.worker_id = worker_id or default_worker_id()
        self.options = options or WorkerOptions()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._waiting_here: set[str] = set()
        """Services for which this worker put jobs back (released at the next answer)."""
        self._released_at: dict[str, float] = {}
        """When this worker last released the jobs waiting for each service (monotonic)."""
        self.notices: ChannelListener | None = None
        """On PostgreSQL, while :meth:`run` runs: the notices of jobs added elsewhere."""

    def __repr__(self) -> str:
        return f"Worker({self.worker_id!r})"

    def stop(self) -> None:
        """Finish the jobs in hand, then return from :meth:`run`."""
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        """Look for jobs now instead of at the next poll (e.g. right after an enqueue)."""
        self._wake.set()

    async def run(self, stop_event: asyncio.Event | None = None) -> None:
        """Work until :meth:`stop` is called or ``stop_event`` is set, then finish the jobs
        in hand. Up to ``concurrency`` jobs run at once (never two of one ordering key)."""
        helpers: list[asyncio.Task[None]] = []
        if stop_event is not None:
            helpers.append(asyncio.create_task(self._stop_on(stop_event)))
        if listens(self.db):  # jobs added by other processes: claimed at once
            self.notices = ChannelListener(self.db, JOBS_CHANNEL, self.wake)
            helpers.append(asyncio.create_task(self.notices.run(), name="outbox-notices"))
        try:
            await self._loop()
        finally:
            for helper in helpers:
                helper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await helper

    async def _stop_on(self, stop_event: asyncio.Event) -> None:
        await stop_event.wait()
        self.stop()

    async def _loop(self) -> None:
        """Claim as many due jobs as there are free slots (one transaction), run each in its
        own task; look again when one finishes (its call's next job may be due), when woken
        (a job was enqueued) or every ``poll_seconds``."""
        running: set[asyncio.Task[None]] = set()
        recovered_at = -math.inf
        try:
            while not self._stop.is_set():
                free = self.options.concurrency - len(running)
                claimed: list[ClaimedJob] = []
                if free > 0:
                    now = time.monotonic()
                    recover = now - recovered_at >= self._recovery_interval
                    try:
                        claimed = await self.claim_many(free, recover=recover)
                        if recover:
                            recovered_at = now
                    except Exception:  # the database is down: keep the worker alive
                        log.exception("outbox worker %s: cannot claim jobs", self.worker_id)
                for job in claimed:
                    task = asyncio.create_task(self._execute_logged(job))
                    running.add(task)
                    task.add_done_callback(partial(self._finished, running))
                if not claimed or len(claimed) >= free:
                    await self._idle()
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    def _finished(self, running: set[asyncio.Task[None]], task: asyncio.Task[None]) -> None:
        running.discard(task)
        self._wake.set()  # a slot is free, and the call's next job may be due now

    @property
    def _recovery_interval(self) -> float:
        """How often the loop returns expired leases to the queue (each claim did, before)."""
        return min(self.options.poll_seconds, self.options.lease_seconds / 4)

    async def _execute_logged(self, job: ClaimedJob) -> None:
        try:
            await self.execute(job)
        except Exception:  # its result could not be saved: the lease expires, it runs again
            log.exception("outbox worker %s: job %s could not be finished", self.worker_id, job.id)

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.options.poll_seconds)
        self._wake.clear()

    async def run_once(self) -> bool:
        """Recover expired leases, claim one due job and run it; False if none was due."""
        job = await self.claim()
        if job is None:
            return False
        await self.execute(job)
        return True

    async def claim(self) -> ClaimedJob | None:
        claimed = await self.claim_many(1, recover=True)
        return claimed[0] if claimed else None

    async def claim_many(self, limit: int, *, recover: bool = True) -> list[ClaimedJob]:
        """Claim up to ``limit`` due jobs in one transaction (first returning expired leases
        to the queue, with ``recover``; without, the claim's direct statements need no
        session: :mod:`deskline.store.direct_transaction`)."""
        if not recover:
            async with self.db.direct_transaction() as on:
                return await self._claim_due(on, limit, utcnow())
        async with self.db.transaction() as session:
            now = utcnow()
            await job_claims.recover_expired_leases(session, now)
            return await self._claim_due(session, limit, now)

    async def _claim_due(self, on: Statements, limit: int, now: datetime) -> list[ClaimedJob]:
        return await job_claims.claim_due(
            on, self.worker_id, limit=limit, lease_seconds=self.options.lease_seconds, now=now
        )

    async def execute(self, job: ClaimedJob) -> None:
        context = JobContext(db=self.db, worker_id=self.worker_id)
        renewed_until_done = asyncio.Event()
        renewer = asyncio.create_task(self._renew_lease(job, renewed_until_done))
        started = time.monotonic()
        with (
            bind_call_id(call_id_of_job(job.payload, job.ordering_key)),
            request_priority(priority_for_job_kind(job.kind)),
        ):
            try:
                try:
                    result = await self._run_handler(job, context)
                finally:
                    # not cancelled: a renewal in progress finishes its transaction (a
                    # transaction cut off mid-statement could leave the job's row locked)
                    renewed_until_done.set()
                    await renewer
                await self._finish(job, context, result)
            finally:
                context.release()
            JOB_ATTEMPTS.labels(job.kind, result.label).inc()
            log.info(
                "job %s (%s) attempt %s: %s in %.0f ms",
                job.id,
                job.kind,
                job.attempt,
                result.label,
                (time.monotonic() - started) * 1000,
            )

    async def _run_handler(self, job: ClaimedJob, context: JobContext) -> _Result:
        try:
            handler = handler_for(job.kind)
            detail = await handler(job, context)
        except Exception as exc:
            return self._failure(job, exc)
        return _Result(AttemptOutcome.SUCCEEDED, detail)

    def _failure(self, job: ClaimedJob, exc: Exception) -> _Result:
        waiting = budget_wait_of(exc)
        if waiting is not None:
            return _Result(AttemptOutcome.RETRY, str(waiting), waiting.retry_after, deferred=True)
        if isinstance(exc, PermanentJobError):
            return _Result(AttemptOutcome.FAILED, str(exc) or type(exc).__name__)
        if isinstance(exc, JobError):
            return self._retry_or_fail(job, str(exc) or type(exc).__name__, exc)
        log.warning("job %s (%s) raised", job.id, job.kind, exc_info=exc)
        return self._retry_or_fail(job, f"{type(exc).__name__}: {exc}", exc)

    def _retry_or_fail(self, job: ClaimedJob, detail: str, exc: Exception) -> _Result:
        if job.attempt >= job.max_attempts:
            return _Result(AttemptOutcome.FAILED, f"{detail} (after {job.attempt} attempts)")
        retry_after = getattr(exc, "retry_after", None)
        if not isinstance(retry_after, int | float):
            retry_after = None
        service = getattr(exc, "unavailable_service", None)
        return _Result(
            AttemptOutcome.RETRY,
            detail,
            retry_after,
            unavailable_service=service if isinstance(service, str) else None,
        )

    async def _defer(self, job: ClaimedJob, context: JobContext, result: _Result) -> None:
        """Back to the queue until the budget has room (a little jitter spreads the herd)."""
        wait = result.retry_after or 0.0
        wait += random.uniform(0.0, min(1.0, wait * 0.2))
        run_at = utcnow() + timedelta(seconds=wait)

        async def save(on: Statements, writes: list[DeferredWrite]) -> bool:
            session = await orm_session(on)  # (always a session: not a direct save)
            held = await job_claims.defer_attempt(session, job, self.worker_id, run_at=run_at)
            if held:
                await _run_writes(session, writes)
            return held

        held = await self._with_attempt_writes(job, context, save, direct=False)
        if not held:
            log.warning("job %s: lease lost before it could be deferred", job.id)

    async def _with_attempt_writes(
        self,
        job: ClaimedJob,
        context: JobContext,
        save: Callable[[Statements, list[DeferredWrite]], Awaitable[bool]],
        *,
        direct: bool,
    ) -> bool:
        """``save(on, attempt_writes)`` in one transaction. The records of what the attempt
        did (e.g. its helpdesk requests) must never cost the attempt's own record: if the
        transaction fails with them, it is tried again without them. ``direct``: ``save``
        runs direct statements only, and so do the writes when they are all
        :class:`~deskline.outbox.handlers.DirectWrite` — then no session is needed."""
        writes, context.attempt_writes = context.attempt_writes, []
        if writes:
            try:
                async with self._saving(direct and runs_direct(writes)) as on:
                    return await save(on, writes)
            except Exception:
                log.warning(
                    "job %s: the records of its attempt could not be saved", job.id, exc_info=True
                )
        try:
            async with self._saving(direct) as on:
                return await save(on, [])
        except Exception:
            context.attempt_writes[:0] = writes  # not their fault: a retry may save them
            raise

    def _saving(self, direct: bool) -> AbstractAsyncContextManager[Statements]:
        return self.db.direct_transaction() if direct else self.db.transaction()

    async def _note_services(self, job: ClaimedJob, context: JobContext, result: _Result) -> None:
        """When an attempt reports a service answering again, the jobs put back because it was
        unavailable become due now (their attempts still count), whichever worker or process
        put them back: each job row says what it waits for (``waiting_for``). Right away when
        this worker put jobs back for it; otherwise (jobs another process put back) at most
        every ``release_interval_seconds``, so a healthy service costs no statement per job."""
        if result.outcome is AttemptOutcome.RETRY and result.unavailable_service:
            self._waiting_here.add(result.unavailable_service)
        now = time.monotonic()
        for service in context.services_answered:
            last = self._released_at.get(service)
            recently = last is not None and now - last < self.options.release_interval_seconds
            if recently and service not in self._waiting_here:
                continue
            self._waiting_here.discard(service)
            self._released_at[service] = now
            try:
                async with self.db.transaction() as session:
                    count = await job_claims.make_due_now(
                        session, job_claims.JOBS.c.waiting_for == service
                    )
            except Exception:
                log.warning("cannot release the jobs waiting for %s", service, exc_info=True)
                continue
            if count:
                log.info("%s answers again: %d job(s) waiting for it are due now", service, count)
                self.wake()

    async def _finish(self, job: ClaimedJob, context: JobContext, result: _Result) -> None:
        await self._finish_attempt(job, context, result)
        await self._note_services(job, context, result)

    async def _finish_attempt(self, job: ClaimedJob, context: JobContext, result: _Result) -> None:
        if result.deferred:
            await self._defer(job, context, result)
            return
        retry_at = None
        if result.outcome is AttemptOutcome.RETRY:
            delay = retry_delay(job.attempt, self.options.retry, retry_after=result.retry_after)
            retry_at = utcnow() + timedelta(seconds=delay)
        success = result.outcome is AttemptOutcome.SUCCEEDED

        async def save(on: Statements, writes: list[DeferredWrite]) -> bool:
            recorded = await job_claims.finish_attempt(
                on,
                job,
                self.worker_id,
                outcome=result.outcome,
                detail=result.detail,
                retry_at=retry_at,
                waiting_for=result.unavailable_service,
            )
            if recorded:
                await _run_writes(on, writes)
                if success:
                    await _run_writes(on, context.deferred_writes)
            return recorded

        direct = not success or runs_direct(context.deferred_writes)
        try:
            recorded = await self._with_attempt_writes(job, context, save, direct=direct)
        except Exception as exc:
            if not context.deferred_writes:
                raise  # the database itself failed: the lease expires, the job runs again
            log.warning("job %s: saving its result failed", job.id, exc_info=True)
            context.deferred_writes.clear()
            failure = self._retry_or_fail(job, f"saving the job's result failed: {exc}", exc)
            await self._finish_attempt(job, context, failure)
            return
        if not recorded:
            log.warning(
                "job %s: lease lost before attempt %s finished; its result is dropped",
                job.id,
                job.attempt,
            )
        elif success:
            await _run_committed(job, context.committed_callbacks, "after-success")
        elif result.outcome is AttemptOutcome.FAILED:
            await _run_committed(job, context.failure_callbacks, "after-failure")

    async def _renew_lease(self, job: ClaimedJob, done: asyncio.Event) -> None:
        interval = self.options.lease_seconds / 3
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), interval)
            if done.is_set():
                return
            try:
                async with self.db.transaction() as session:
                    held = await job_claims.renew_lease(
                        session, job, self.worker_id, lease_seconds=self.options.lease_seconds
                    )
            except Exception:
                log.warning("job %s: cannot renew the lease", job.id, exc_info=True)
                continue
            if not held:
                log.warning("job %s: lease taken over by another worker", job.id)
                return


async def _run_writes(on: Statements, writes: list[DeferredWrite]) -> None:
    for write in writes:
        if isinstance(write, DirectWrite):
            await write(on)
        else:  # (only ever given a session: see Worker._with_attempt_writes)
            await write(await orm_session(on))


async def _run_committed(job: ClaimedJob, callbacks: list[AfterCommit], what: str) -> None:
    """Run (and empty) ``callbacks``, steps for after the attempt's record has committed."""
    steps = list(callbacks)
    callbacks.clear()
    for step in steps:
        try:
            await step()
        except Exception:
            log.exception("job %s: an %s step failed", job.id, what)


async def run_worker(
    settings: Settings, stop_event: asyncio.Event, options: WorkerOptions | None = None
) -> None:
    """The ``deskline worker`` process: run jobs on the configured database until stopped."""
    db = Database.from_settings(settings)
    try:
        await Worker(db, options=options or WorkerOptions.from_settings(settings)).run(stop_event)
    finally:
        await db.dispose()
