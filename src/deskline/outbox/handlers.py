"""The registry of job kinds: which coroutine runs a job of each kind.

A handler receives the :class:`~deskline.store.repositories.job_claims.ClaimedJob` and a
:class:`JobContext`. It returns (success; an optional short text is recorded with the
attempt), raises :class:`~deskline.errors.JobError` (retry later, with backoff) or
:class:`~deskline.errors.PermanentJobError` (fail now). Any other exception counts as a retry
too, with its type in the recorded error. A ``retry_after`` attribute (seconds) on the
exception — a helpdesk's 429 — is honoured as the minimum wait. An ``unavailable_service``
attribute (a name) says the job failed because that service could not be reached or answered
5xx: when a later attempt of any job reports the service answering again
(:meth:`JobContext.service_answered`), the jobs waiting on it are due at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.errors import PermanentJobError
from deskline.store.db import Database
from deskline.store.direct_transaction import Statements
from deskline.store.repositories.job_claims import ClaimedJob

DeferredWrite = Callable[[AsyncSession], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DirectWrite:
    """A deferred write that runs direct statements only (:mod:`deskline.store.direct`), so
    it can run in a direct transaction (:mod:`deskline.store.direct_transaction`) as well as
    in a session. When every write of a transaction is one, the worker records the attempt
    without a session (on SQLite's inline driver)."""

    write: Callable[[Statements], Awaitable[None]]

    async def __call__(self, on: Statements) -> None:
        await self.write(on)


def runs_direct(writes: Iterable[DeferredWrite]) -> bool:
    """Whether every write of ``writes`` is a :class:`DirectWrite`."""
    return all(isinstance(write, DirectWrite) for write in writes)


AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class JobContext:
    """What a running job can reach: the database, and writes committed with its success."""

    db: Database
    worker_id: str
    deferred_writes: list[DeferredWrite] = field(default_factory=list)
    attempt_writes: list[DeferredWrite] = field(default_factory=list)
    services_answered: set[str] = field(default_factory=set)
    committed_callbacks: list[AfterCommit] = field(default_factory=list)
    failure_callbacks: list[AfterCommit] = field(default_factory=list)

    def on_success(self, write: DeferredWrite) -> None:
        """Run ``write(session)`` in the transaction that records the job's success, so the
        job's own database changes and its completion commit together (or not at all)."""
        self.deferred_writes.append(write)

    def after_success(self, callback: AfterCommit) -> None:
        """Run ``callback()`` once the job's success has committed (not when it fails, nor
        when its lease was lost): for what must see the database as others see it after the
        job, e.g. a call that changed while the job ran. Its errors are logged, not raised."""
        self.committed_callbacks.append(callback)

    def after_failure(self, callback: AfterCommit) -> None:
        """Run ``callback()`` once the job's failure for good has committed (no attempt left,
        or a permanent error; not after an attempt that will be retried): for what the job
        would have done after its work and must still happen without it. Its errors are
        logged, not raised."""
        self.failure_callbacks.append(callback)

    def with_attempt(self, write: DeferredWrite) -> None:
        """Run ``write(session)`` in the transaction that records this attempt, whatever its
        outcome (what the attempt did, e.g. its helpdesk requests; lost with the attempt when
        the worker dies or loses the lease)."""
        self.attempt_writes.append(write)

    def release(self) -> None:
        """Forget the writes and steps: the attempt is over. They are mostly the handler's
        own bound methods, which refer back to the job's objects (its call, actions, rows);
        kept, that cycle left every finished job to the garbage collector, whose passes
        stop the loop (bench/: about 100 objects a job)."""
        self.deferred_writes.clear()
        self.attempt_writes.clear()
        self.committed_callbacks.clear()
        self.failure_callbacks.clear()

    def service_answered(self, service: str) -> None:
        """A request of this attempt to ``service`` got an answer: the service is up. Jobs
        that this worker put back because ``service`` was unavailable (an exception with
        ``unavailable_service``) are then due at once instead of after their backoff."""
        self.services_answered.add(service)


JobHandler = Callable[[ClaimedJob, JobContext], Awaitable[str | None]]

_handlers: dict[str, JobHandler] = {}


def register_handler(kind: str, handler: JobHandler, *, replace: bool = False) -> None:
    if kind in _handlers and _handlers[kind] is not handler and not replace:
        raise ValueError(f"a handler for job kind {kind!r} is registered already")
    _handlers[kind] = handler


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Decorator: ``@job_handler("helpdesk.ticket.create")`` registers the coroutine."""

    def register(handler: JobHandler) -> JobHandler:
        register_handler(kind, handler)
        return handler

    return register


def unregister_handler(kind: str) -> None:
    _handlers.pop(kind, None)


def handler_for(kind: str) -> JobHandler:
    """The handler of ``kind``; a job of an unknown kind fails at once, clearly."""
    try:
        return _handlers[kind]
    except KeyError:
        known = ", ".join(sorted(_handlers)) or "none"
        raise PermanentJobError(f"no handler for job kind {kind!r} (known: {known})") from None


def registered_kinds() -> list[str]:
    return sorted(_handlers)


@job_handler("test.echo")
async def echo(job: ClaimedJob, context: JobContext) -> str | None:
    """A harmless kind for trying the outbox: succeeds with its payload's ``message``."""
    message = job.payload.get("message")
    return None if message is None else str(message)
