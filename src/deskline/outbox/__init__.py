"""The durable job outbox: jobs written in the same transaction as the change that causes
them, run by workers that record every attempt and retry with backoff.

- :func:`enqueue` adds a job in the caller's session (:func:`enqueue_once`: at most once per
  idempotency key, in one statement);
- :func:`job_handler` / :func:`register_handler` say how a kind of job runs;
- :class:`Worker` (in-process, started by ``serve``) or :func:`run_worker` (``deskline
  worker``) runs them;
- the listing helpers (:func:`list_jobs`, :func:`attempts_of`, :func:`retry_job`,
  :func:`count_by_state`) serve the admin API.
"""

from deskline.outbox.backoff import RetryPolicy, retry_delay
from deskline.outbox.enqueue import enqueue, enqueue_once
from deskline.outbox.handlers import (
    JobContext,
    JobHandler,
    handler_for,
    job_handler,
    register_handler,
    registered_kinds,
    unregister_handler,
)
from deskline.outbox.worker import Worker, WorkerOptions, run_worker
from deskline.store.models import AttemptOutcome, JobState
from deskline.store.repositories.job_claims import ClaimedJob
from deskline.store.repositories.jobs import (
    attempts_of,
    count_by_state,
    get_job,
    list_jobs,
    retry_job,
)

__all__ = [
    "AttemptOutcome",
    "ClaimedJob",
    "JobContext",
    "JobHandler",
    "JobState",
    "RetryPolicy",
    "Worker",
    "WorkerOptions",
    "attempts_of",
    "count_by_state",
    "enqueue",
    "enqueue_once",
    "get_job",
    "handler_for",
    "job_handler",
    "list_jobs",
    "register_handler",
    "registered_kinds",
    "retry_delay",
    "retry_job",
    "run_worker",
    "unregister_handler",
]
