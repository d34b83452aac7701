"""What every pipeline job shares: its call, the helpdesk it may use, waiting, errors.

- A job of a helpdesk that is disabled or needs re-authorization **waits**: it is put back to
  pending with a later ``run_after`` and one more attempt allowed (:class:`Waiting`), so
  waiting never uses the job up.
- A helpdesk answer that says "retry" (429, 5xx, a timeout) becomes :class:`HelpdeskRetry`
  carrying the helpdesk's ``retry_after``; "fail" becomes a permanent failure; a refused
  authorization marks the connection ``needs_reauth`` and the job waits.
- Every helpdesk request is logged with the call (:mod:`deskline.pipeline.request_log`).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.calls.model import Call
from deskline.connector import Connector
from deskline.errors import HelpdeskAuthError, HelpdeskError, JobError, PermanentJobError
from deskline.integration.connectors import ActiveHelpdesk
from deskline.outbox import ClaimedJob, JobContext, enqueue_once
from deskline.outbox.handlers import DirectWrite
from deskline.pipeline.actions import (
    ActionState,
    action_key,
    actions_of_call,
    record_done_actions,
)
from deskline.pipeline.bindings import BoundAgent
from deskline.pipeline.contact_index import IndexedContact, IndexMatch
from deskline.pipeline.recordings import recording_view_of_call
from deskline.pipeline.request_log import RequestContext, collecting, watch
from deskline.store.direct_transaction import Statements
from deskline.store.models import CallAction, Job, JobState, Recording
from deskline.store.repositories.job_claims import make_due_now
from deskline.store.types import utcnow

if TYPE_CHECKING:
    from deskline.pipeline.service import Pipeline

log = logging.getLogger(__name__)


class Kinds:
    LOOKUP = "helpdesk.lookup"
    CREATE_CONTACT = "helpdesk.create_contact"
    CREATE_TICKET = "helpdesk.create_ticket"
    CALL_JOURNAL = "helpdesk.call_journal"
    SCREEN_POP = "helpdesk.screen_pop"
    PREPARE_RECORDING = "recording.prepare"


class Waiting(Exception):
    """The job cannot run now and must wait (the attempt does not count)."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds


class HelpdeskRetry(JobError):
    """The helpdesk asked us to try again later (``retry_after`` is honoured by the worker)."""

    def __init__(
        self, message: str, retry_after: float | None, unavailable_service: str | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.unavailable_service = unavailable_service
        """Set when the helpdesk could not be reached or answered 5xx: the worker retries the
        job as soon as another job's request gets an answer (see JobContext.service_answered)."""


def ordering_key(source: str, call_id: str) -> str:
    return f"call:{source}:{call_id}"


async def enqueue_call_job(
    session: AsyncSession,
    kind: str,
    source: str,
    call_id: str,
    action: str,
    *,
    priority: int = 0,
    **payload: object,
) -> bool:
    """A job for one (call, action), at most once (the action key is its idempotency key);
    True when this call added it."""
    return await enqueue_once(
        session,
        kind,
        {"source": source, "call_id": call_id, **payload},
        ordering_key=ordering_key(source, call_id),
        idempotency_key=action_key(source, call_id, action),
        priority=priority,
    )


@dataclass
class CallJob:
    """A running pipeline job: its call, and the helpdesk it talks to."""

    pipeline: Pipeline
    job: ClaimedJob
    context: JobContext
    source: str
    call_id: str
    call: Call
    helpdesk: ActiveHelpdesk
    actions: dict[str, CallAction] = field(default_factory=dict)
    """The call's actions as they were when the job started (jobs of one call run one at a
    time, in order), kept current with what this job records (:meth:`remember`)."""
    recording: Recording | None = None
    """The call's recording row when the job started (``recording.prepare`` runs first)."""
    contact: IndexedContact | None = None
    """The call's contact once this job has resolved it (or read it at the start: the
    contact the call already has)."""
    indexed: IndexMatch | None = None
    """The local index's match of the caller, read with everything else the job starts from
    (None: not read; see :class:`ContactNeed`)."""
    _done: dict[str, tuple[str | None, dict[str, object]]] = field(
        default_factory=dict, init=False, repr=False
    )
    """Actions to record as done with the job's success (:meth:`done_on_success`)."""

    @property
    def payload(self) -> dict[str, object]:
        return self.job.payload

    def action(self, name: str) -> CallAction | None:
        return self.actions.get(name)

    def done(self, name: str) -> bool:
        row = self.actions.get(name)
        return row is not None and row.state == ActionState.DONE

    def remember(self, row: CallAction) -> None:
        """An action this job has recorded (or will record when it succeeds)."""
        self.actions[row.action] = row

    def done_on_success(
        self, action: str, remote_id: str | None, detail: dict[str, object]
    ) -> None:
        """Record the action as done with the job's success (all such actions of the job in
        one statement); this job knows it at once (:meth:`remember`)."""
        self.remember(
            CallAction(
                key=action_key(self.source, self.call_id, action),
                source=self.source,
                pbx_call_id=self.call_id,
                action=action,
                state=ActionState.DONE,
                remote_id=remote_id,
                detail=detail,
            )
        )
        if not self._done:  # the first: one write records them all
            self.context.on_success(DirectWrite(self._write_done))
        self._done[action] = (remote_id, detail)

    async def _write_done(self, session: Statements) -> None:
        await record_done_actions(session, self.source, self.call_id, self._done)

    async def read_known_contact(self, session: Statements) -> IndexedContact | None:
        """The contact this call already has (its done ``contact`` action), read from the
        index in ``session`` unless this job holds it already; None when it has none."""
        row = self.action("contact")
        if row is None or row.state != ActionState.DONE or not row.remote_id:
            return None
        if self.contact is None or self.contact.remote_id != row.remote_id:
            connection_id = self.helpdesk.connection_id
            found = await self.pipeline.index.get(session, connection_id, row.remote_id)
            self.contact = found or IndexedContact(remote_id=row.remote_id)
        return self.contact

    async def bound_agents(self) -> dict[str, BoundAgent]:
        """Every bound extension of the call's helpdesk connection (the pipeline's cache)."""
        cached = self.pipeline.cached_bound_agents(self.helpdesk.connection_id)
        if cached is not None:
            return cached
        async with self.pipeline.db.read() as session:
            return await self.pipeline.bound_agents(session, self.helpdesk.connection_id)

    async def connector(self) -> Connector:
        return watch(await self.helpdesk.connector())

    @asynccontextmanager
    async def requests(self) -> AsyncIterator[None]:
        """Helpdesk requests inside the block are logged with the call; errors are mapped."""
        where = RequestContext(self.helpdesk.connection_id, self.source, self.call_id, self.job.id)
        async with collecting(self.pipeline.db, where, self.context):
            try:
                yield
            except HelpdeskAuthError as exc:
                if await self.helpdesk.mark_needs_reauth(exc):
                    raise Waiting(
                        f"the helpdesk needs re-authorization: {exc}", self._wait
                    ) from exc
                raise HelpdeskRetry(f"authorization refused, tokens changed: {exc}", 0) from exc
            except HelpdeskError as exc:
                if exc.outcome == "fail":
                    raise PermanentJobError(str(exc)) from exc
                raise HelpdeskRetry(str(exc), exc.retry_after, exc.unavailable_service) from exc

    @property
    def _wait(self) -> float:
        return self.pipeline.options.wait_seconds


PipelineHandler = Callable[[CallJob], Awaitable[str | None]]


class ContactNeed(enum.Enum):
    """What of the call's contact a kind of job reads with its start (one read for all)."""

    NONE = "none"
    KNOWN = "known"
    """The contact the call already has (its ``contact`` action)."""
    INDEXED = "indexed"
    """That, or else the local index's match, when the job would read it."""


async def open_call_job(
    pipeline: Pipeline,
    job: ClaimedJob,
    context: JobContext,
    contact: ContactNeed = ContactNeed.NONE,
) -> CallJob | str:
    """The job's call and helpdesk, or why there is nothing to do; raises Waiting."""
    source, call_id = str(job.payload.get("source", "")), str(job.payload.get("call_id", ""))
    if not source or not call_id:
        raise PermanentJobError("the job names no call (source and call_id)")
    async with pipeline.db.direct_read() as session:  # one read for all the job starts from
        helpdesk = await pipeline.provider.current(session)
        if helpdesk is None:
            return "no helpdesk is connected: nothing to do"
        wait = pipeline.options.wait_seconds
        if not helpdesk.enabled:
            raise Waiting("the helpdesk integration is disabled", wait)
        if helpdesk.needs_reauth:
            raise Waiting("the helpdesk needs re-authorization", wait)
        call = await pipeline.load_call(source, call_id, session)
        if call is None:
            raise PermanentJobError(f"call {source}:{call_id} is not stored")
        actions = await actions_of_call(session, source, call_id)
        recording = (
            await recording_view_of_call(session, source, call_id) if call.recording else None
        )
        opened = CallJob(
            pipeline, job, context, source, call_id, call, helpdesk, actions, recording
        )
        if contact is not ContactNeed.NONE:
            await _read_contact(opened, session, contact)
    return opened


async def _read_contact(job: CallJob, session: Statements, need: ContactNeed) -> None:
    """The call's known contact, or (``INDEXED``) the index's match where the job's contact
    resolution would read it (:func:`~deskline.pipeline.jobs.contacts.resolve_contact`): the
    one the call matched when it rang, when that was in this process."""
    if await job.read_known_contact(session) is not None or need is not ContactNeed.INDEXED:
        return
    if job.helpdesk.settings.always_query_helpdesk and not job.done("lookup"):
        return  # the helpdesk is asked first
    job.indexed = await job.pipeline.call_match(session, job.helpdesk, job.source, job.call)


def pipeline_handler(
    pipeline: Pipeline, run: PipelineHandler, contact: ContactNeed = ContactNeed.NONE
) -> Callable[[ClaimedJob, JobContext], Awaitable[str | None]]:
    """An outbox handler: opens the call job (reading ``contact`` with it), runs ``run``,
    turns Waiting into a reschedule."""

    async def handle(job: ClaimedJob, context: JobContext) -> str | None:
        try:
            opened = await open_call_job(pipeline, job, context, contact)
            if isinstance(opened, str):
                return opened
            return await run(opened)
        except Waiting as waiting:
            context.deferred_writes.clear()
            context.committed_callbacks.clear()
            context.failure_callbacks.clear()
            context.on_success(_reschedule(job, waiting))
            return f"waiting: {waiting.reason}"

    return handle


WAITING_FOR_HELPDESK = "waiting: the helpdesk"
"""How :class:`Waiting` jobs' ``last_error`` starts when they wait for the admin."""


async def release_waiting_jobs(session: AsyncSession) -> int:
    """Jobs waiting for the helpdesk (disabled, needs re-authorization) become due now: call it
    when the admin has enabled or re-authorized it. Returns how many were waiting."""
    return await make_due_now(
        session, Job.last_error.startswith(WAITING_FOR_HELPDESK, autoescape=True)
    )


def _reschedule(job: ClaimedJob, waiting: Waiting) -> Callable[[AsyncSession], Awaitable[None]]:
    """Put the job back to pending (in the transaction that recorded its attempt), with one
    more attempt allowed: waiting for an admin is not failing, so it never uses the job up."""

    async def write(session: AsyncSession) -> None:
        await session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(
                state=JobState.PENDING.value,
                max_attempts=Job.max_attempts + 1,
                run_after=utcnow() + timedelta(seconds=waiting.seconds),
                finished_at=None,
                last_error=f"waiting: {waiting.reason}"[:2000],
            )
        )

    return write
