"""Every helpdesk request a job sends is logged in ``helpdesk_requests`` with its call (F32).

Connectors are shared between jobs, so the entries are collected per running task: the
connector's request hook appends to the list of the :func:`collecting` block it runs in. When
the block ends — also when the request failed, which is when the log matters most — what it
collected is saved with the job's attempt (in the transaction that records the attempt,
whatever its outcome), or, outside a job, in a transaction of its own.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import cast

from sqlalchemy import Table, insert

from deskline.connector import Connector, RequestLogEntry
from deskline.errors import HELPDESK_SERVICE
from deskline.outbox.handlers import DirectWrite, JobContext
from deskline.store.db import Database
from deskline.store.direct import DirectStatement, bound
from deskline.store.direct_transaction import Statements
from deskline.store.models import HelpdeskRequestLog
from deskline.store.types import utcnow

log = logging.getLogger(__name__)

_collected: ContextVar[list[RequestLogEntry] | None] = ContextVar("helpdesk_requests", default=None)
_EXCERPT = 500


def _answered(entry: RequestLogEntry) -> bool:
    """The helpdesk answered (any status below 500, a 4xx too: it is up)."""
    return entry.status is not None and entry.status < 500


def _collect(entry: RequestLogEntry) -> None:
    entries = _collected.get()
    if entries is not None:
        entries.append(entry)


def watch(connector: Connector) -> Connector:
    """Make the connector report its requests to :func:`collecting` blocks (idempotent)."""
    hook = connector.exchange.on_request
    if hook is _collect or getattr(hook, "_deskline_collects", False):
        return connector
    if hook is None:
        connector.exchange.on_request = _collect
    else:
        previous = hook

        def both(entry: RequestLogEntry) -> None:
            previous(entry)
            _collect(entry)

        both._deskline_collects = True  # type: ignore[attr-defined]
        connector.exchange.on_request = both
    return connector


@dataclass(frozen=True)
class RequestContext:
    connection_id: int
    source: str | None
    call_id: str | None
    job_id: int | None


@asynccontextmanager
async def collecting(
    db: Database, where: RequestContext, attempt: JobContext | None = None
) -> AsyncIterator[list[RequestLogEntry]]:
    """Collect the requests sent inside the block; store them with ``attempt`` (or at once)."""
    entries: list[RequestLogEntry] = []
    token = _collected.set(entries)
    try:
        yield entries
    finally:
        _collected.reset(token)
        if attempt is not None and any(_answered(entry) for entry in entries):
            attempt.service_answered(HELPDESK_SERVICE)
        if entries and attempt is not None:
            attempt.with_attempt(DirectWrite(partial(_add_entries, where=where, entries=entries)))
        elif entries:
            await _store(db, where, entries)


async def _store(db: Database, where: RequestContext, entries: list[RequestLogEntry]) -> None:
    try:
        async with db.transaction() as session:
            await _add_entries(session, where=where, entries=entries)
    except Exception:  # the log must never make a job fail after the helpdesk answered
        log.warning("cannot store %d helpdesk request log entries", len(entries), exc_info=True)


_ADD = DirectStatement(
    insert(cast(Table, HelpdeskRequestLog.__table__)).values(
        bound(
            "connection_id",
            "source",
            "pbx_call_id",
            "job_id",
            "scenario",
            "request_name",
            "method",
            "url",
            "status_code",
            "outcome",
            "duration_ms",
            "excerpt",
            "at",
        )
    )
)
"""Built once, run on the driver (:mod:`deskline.store.direct`): every job's requests."""


async def _add_entries(
    session: Statements, *, where: RequestContext, entries: list[RequestLogEntry]
) -> None:
    now = utcnow()
    for entry in entries:
        await _ADD.execute(
            session,
            {
                "connection_id": where.connection_id,
                "source": where.source,
                "pbx_call_id": where.call_id,
                "job_id": where.job_id,
                "scenario": entry.scenario_id[:64],
                "request_name": entry.request_name[:200],
                "method": entry.method[:10],
                "url": entry.url,
                "status_code": entry.status,
                "outcome": entry.outcome[:20],
                "duration_ms": round(entry.duration_ms),
                "excerpt": (entry.note or "")[:_EXCERPT] or None,
                "at": now,
            },
        )
