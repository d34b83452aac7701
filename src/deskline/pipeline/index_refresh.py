"""Background refresh of the local contact index (F28): ring-time lookups stay local and current.

A ``helpdesk.index_refresh`` job (request priority *background*, the lowest) runs every
``DESKLINE_INDEX_REFRESH_INTERVAL_SECONDS`` (``serve`` enqueues one per interval and connection;
with several processes the idempotency key keeps it one) and fetches at most
``DESKLINE_INDEX_REFRESH_BATCH`` contacts:

- **incremental export** — templates with an ``IndexRefresh`` scenario (Zendesk: the
  incremental user export): one page of the contacts changed since the cursor the run before
  kept (the first run starts at ``start_time=0``); they are written to the index. When the
  page did not reach the end of the stream, the next page is enqueued at once (still at
  background priority, so calls go first).
- **bounded re-validation** — other templates: the ``batch`` least recently fetched contacts
  of the index are looked up again (``SyncContactAuto``, one lookup each) and rewritten.

Helpdesk requests are logged (F32) with the job; a helpdesk that is disabled or needs
re-authorization is skipped (the next interval tries again).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.budget import Priority, request_priority
from deskline.connector import Connector, Contact
from deskline.errors import HelpdeskAuthError, HelpdeskError, PermanentJobError
from deskline.integration.connectors import ActiveHelpdesk
from deskline.outbox import ClaimedJob, JobContext, JobHandler, enqueue
from deskline.pipeline.jobs.common import HelpdeskRetry
from deskline.pipeline.request_log import RequestContext, collecting, watch
from deskline.store.db import Database
from deskline.store.models import HelpdeskContact, HelpdeskContactNumber
from deskline.store.repositories.settings import get_setting, put_setting
from deskline.store.types import utcnow
from deskline.templates.model import ScenarioId

if TYPE_CHECKING:
    from deskline.pipeline.service import Pipeline

log = logging.getLogger(__name__)

INDEX_REFRESH_KIND = "helpdesk.index_refresh"
REFRESH_PRIORITY = -10
"""Below every call job in the outbox (their requests also go first in the budget)."""


def state_key(connection_id: int) -> str:
    return f"index_refresh:{connection_id}"


async def enqueue_refresh(
    session: AsyncSession, connection_id: int, batch: int, *, key: str
) -> None:
    """One refresh run for the connection (at most one per ``key``)."""
    await enqueue(
        session,
        INDEX_REFRESH_KIND,
        {"connection_id": connection_id, "batch": batch},
        ordering_key=f"index_refresh:{connection_id}",
        idempotency_key=f"index_refresh:{connection_id}:{key}",
        priority=REFRESH_PRIORITY,
    )


def index_refresh_handler(pipeline: Pipeline) -> JobHandler:
    """The outbox handler of ``helpdesk.index_refresh`` for this process's pipeline."""

    async def handle(job: ClaimedJob, context: JobContext) -> str | None:
        return await run_index_refresh(pipeline, job)

    return handle


async def run_index_refresh(pipeline: Pipeline, job: ClaimedJob) -> str:
    async with pipeline.db.read() as session:
        helpdesk = await pipeline.provider.current(session)
    if helpdesk is None or helpdesk.connection_id != job.payload.get("connection_id"):
        return "the helpdesk connection is gone: nothing to refresh"
    if not helpdesk.ready:
        return "skipped: the helpdesk is disabled or needs re-authorization"
    batch = job.payload.get("batch")
    size = batch if isinstance(batch, int) and batch > 0 else pipeline.settings.index_refresh_batch
    connector = watch(await helpdesk.connector())
    where = RequestContext(helpdesk.connection_id, None, None, job.id)
    try:
        # background: calls' lookups, tickets and journals go first within the budget
        with request_priority(Priority.BACKGROUND):
            async with collecting(pipeline.db, where):
                if helpdesk.template.scenario(ScenarioId.INDEX_REFRESH) is not None:
                    return await _export_page(pipeline, helpdesk, connector, size)
                return await _revalidate(pipeline, helpdesk, connector, size)
    except HelpdeskAuthError as exc:
        if await helpdesk.mark_needs_reauth(exc):
            return f"skipped: the helpdesk needs re-authorization now ({exc})"
        raise HelpdeskRetry(f"authorization refused, tokens changed: {exc}", 0) from exc
    except HelpdeskError as exc:
        if exc.outcome == "fail":
            raise PermanentJobError(str(exc)) from exc
        raise HelpdeskRetry(str(exc), exc.retry_after) from exc


async def _export_page(
    pipeline: Pipeline, helpdesk: ActiveHelpdesk, connector: Connector, size: int
) -> str:
    connection_id = helpdesk.connection_id
    async with pipeline.db.read() as session:
        state = await get_setting(session, state_key(connection_id), {})
    cursor = state.get("cursor") if isinstance(state, dict) else None
    result = await connector.refresh_index(
        cursor if isinstance(cursor, str) else None, start_time=0, page_size=size
    )
    contacts = result.contacts[:size]
    next_cursor = result.response_values.get("Cursor")
    finished = result.response_values.get("EndOfStream") in (True, "true", 1)
    async with pipeline.db.transaction() as session:
        written = await _write(pipeline, session, connection_id, contacts)
        if isinstance(next_cursor, str) and next_cursor:
            await put_setting(session, state_key(connection_id), {"cursor": next_cursor})
            if not finished and next_cursor != cursor:
                digest = hashlib.sha256(next_cursor.encode()).hexdigest()[:24]
                await enqueue_refresh(session, connection_id, size, key=f"after:{digest}")
    more = "" if finished else "; more to come"
    return f"exported {len(contacts)} contact(s), {written} written to the index{more}"


async def _write(
    pipeline: Pipeline, session: AsyncSession, connection_id: int, contacts: list[Contact]
) -> int:
    written = 0
    for contact in contacts:
        known = await pipeline.index.get(session, connection_id, contact.id)
        if not contact.phones and known is None:
            continue  # no number: never found at ring time
        await pipeline.index.upsert(session, connection_id, contact, origin="refresh")
        written += 1
    return written


async def _revalidate(
    pipeline: Pipeline, helpdesk: ActiveHelpdesk, connector: Connector, size: int
) -> str:
    connection_id = helpdesk.connection_id
    async with pipeline.db.read() as session:
        oldest = (
            await session.execute(
                select(HelpdeskContact.id, HelpdeskContact.remote_id)
                .where(HelpdeskContact.connection_id == connection_id)
                .order_by(HelpdeskContact.fetched_at, HelpdeskContact.id)
                .limit(size)
            )
        ).all()
        numbers = dict(
            (
                await session.execute(
                    select(HelpdeskContactNumber.contact_id, HelpdeskContactNumber.raw).where(
                        HelpdeskContactNumber.contact_id.in_([row.id for row in oldest])
                    )
                )
            ).all()
        )
    changed = 0
    for row in oldest:
        number = numbers.get(row.id)
        found = (await connector.lookup(number)).contacts if number else []
        async with pipeline.db.transaction() as session:
            for contact in found:
                await pipeline.index.upsert(session, connection_id, contact)
            if not any(contact.id == row.remote_id for contact in found):
                await session.execute(  # not found by its number now: checked, try later
                    update(HelpdeskContact)
                    .where(HelpdeskContact.id == row.id)
                    .values(fetched_at=utcnow())
                )
        changed += len(found)
    return f"re-validated {len(oldest)} contact(s), {changed} found again"


class IndexRefreshScheduler:
    """Enqueues one refresh per interval for the connected helpdesk (run by ``serve``)."""

    def __init__(self, db: Database, interval_seconds: float, batch: int) -> None:
        self.db = db
        self.interval = interval_seconds
        self.batch = batch

    def __repr__(self) -> str:
        return f"IndexRefreshScheduler(every {self.interval:g} s, batch {self.batch})"

    async def tick(self, now: float | None = None) -> bool:
        """Enqueue this interval's refresh (once across processes); False: nothing connected."""
        from deskline.integration.records import ConnectionStatus, current_connection

        slot = int((time.time() if now is None else now) // self.interval)
        async with self.db.transaction() as session:
            row = await current_connection(session)
            if row is None or not row.enabled or row.status != ConnectionStatus.CONNECTED:
                return False
            await enqueue_refresh(session, row.id, self.batch, key=f"slot:{slot}")
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # the database is down: try at the next interval
                log.warning("cannot schedule the contact index refresh", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
