"""Finding and creating the call's contact (F9, F10, F27, F28) and syncing it (F8).

:func:`resolve_contact` is used by every job that needs the contact (lookup, create, ticket),
so the order of jobs never matters:

1. the call's ``contact`` action (found or created before, by any job of this call);
2. the local index (E.164 variants, then last digits) — unless the helpdesk must be asked;
3. the helpdesk (SyncContactAuto), at most once per call; what it finds is indexed;
4. if still unknown and creation applies: CreateNewContact, ``Automatic New Contact <number>``.

Creating is guarded against duplicates: one creation per number at a time in this process,
the index is read again right before creating (and, on a job's later attempt, the helpdesk is
asked again: the attempt before may have died between creating and recording), and the
created contact is indexed and remembered for the call in its own transaction the moment the
helpdesk answers — so a second call from the same number, even while the helpdesk's search
still lags, finds it locally.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from deskline.connector import Contact
from deskline.pipeline.actions import ActionState, record_action
from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.contact_sync import sync_contact
from deskline.pipeline.jobs.common import CallJob
from deskline.pipeline.variables import customer_number

_creating: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)


async def known_contact(job: CallJob) -> IndexedContact | None:
    """The contact this call already has (action ``contact``), from the index."""
    row = job.action("contact")
    if row is None or row.state != ActionState.DONE or not row.remote_id:
        return None
    if job.contact is not None and job.contact.remote_id == row.remote_id:
        return job.contact
    async with job.pipeline.db.direct_read() as session:
        return await job.read_known_contact(session)


async def known_or_indexed_contact(job: CallJob) -> IndexedContact | None:
    """The call's contact if it has one, else the local index's match; never asks the
    helpdesk (a ring-time pop of a caller the index knows records no ``contact`` action)."""
    known = await known_contact(job)
    if known is not None:
        return known
    number = customer_number(job.call)
    if not number or not job.pipeline.lookupable(number):
        return None
    return await _local(job, number)


async def resolve_contact(job: CallJob, *, create: bool) -> IndexedContact | None:
    """The call's contact (see the module's steps); None when unknown and not created."""
    number = customer_number(job.call)
    if not number or not job.pipeline.lookupable(number):
        return None
    known = await known_contact(job)
    if known is not None:
        return known
    settings = job.helpdesk.settings
    asked = await _asked_helpdesk(job)
    if not settings.always_query_helpdesk or asked:
        local = await _local(job, number)
        if local is not None:
            return await _remember(job, local, "index")
    if not asked:
        found = await _ask_helpdesk(job, number)
        if found is not None:
            return await _remember(job, found, "helpdesk")
    if not create:
        return None
    # an earlier attempt of this job may have created the contact and died before recording it
    return await _create(job, number, ask_first=asked and job.job.attempt > 1)


async def _asked_helpdesk(job: CallJob) -> bool:
    return job.done("lookup")


async def _local(job: CallJob, number: str, *, fresh: bool = False) -> IndexedContact | None:
    """The index's match (unless ``fresh``: as read with the job's start, or from the
    pipeline's read cache)."""
    if not fresh and job.indexed is not None:
        return job.indexed.contact
    pipeline, connection_id = job.pipeline, job.helpdesk.connection_id
    async with pipeline.db.direct_read() as session:
        if fresh:
            match = await pipeline.index.find(session, connection_id, number)
        else:
            match = await pipeline.match_number(session, connection_id, number)
    return match.contact


async def _ask_helpdesk(job: CallJob, number: str) -> IndexedContact | None:
    connector = await job.connector()
    async with job.requests():
        result = await connector.lookup(number)
    pipeline, connection_id = job.pipeline, job.helpdesk.connection_id
    async with pipeline.db.direct_transaction() as session:
        for contact in result.contacts:
            await pipeline.index.upsert(session, connection_id, contact)
        match = await pipeline.index.find(session, connection_id, number)
        chosen = match.contact
        if chosen is None and result.contacts:  # the helpdesk matched on a form we do not store
            chosen = await pipeline.index.upsert(
                session, connection_id, result.contacts[0], extra_numbers=[number]
            )
        looked_up = await record_action(
            session,
            job.source,
            job.call_id,
            "lookup",
            remote_id=chosen.remote_id if chosen else None,
            detail={
                "found": len(result.contacts),
                "ambiguous": match.ambiguous or len(result.contacts) > 1,
                "passed_over": [
                    c.id for c in result.contacts if chosen and c.id != chosen.remote_id
                ],
            },
        )
    job.remember(looked_up)
    return chosen


async def _create(job: CallJob, number: str, *, ask_first: bool = False) -> IndexedContact | None:
    pipeline, connection_id = job.pipeline, job.helpdesk.connection_id
    key = pipeline.normaliser.normalise(number).value or number
    async with _creating[f"{connection_id}:{key}"]:
        local = await _local(job, number, fresh=True)
        if local is not None:  # created meanwhile by another call's job (or process)
            return await _remember(job, local, "index")
        if ask_first:
            found = await _ask_helpdesk(job, number)
            if found is not None:
                return await _remember(job, found, "helpdesk")
        e164 = pipeline.normaliser.normalise(number).e164 or number
        connector = await job.connector()
        async with job.requests():
            result = await connector.create_contact("", "", e164)
        remote_id = result.outputs.get("ContactId") or result.outputs.get("ContactsId")
        if remote_id in (None, "", []):
            return None
        created = Contact(
            contact_type=result.scenario_id,
            id=str(remote_id),
            first_name=f"Automatic New Contact {e164}",
            phones={"BusinessNumber": e164},
        )
        async with pipeline.db.direct_transaction() as session:
            indexed = await pipeline.index.upsert(session, connection_id, created, origin="created")
            row = await record_action(
                session,
                job.source,
                job.call_id,
                "contact",
                remote_id=indexed.remote_id,
                detail={"via": "created", "number": e164},
            )
        job.remember(row)
        job.contact = indexed
        return indexed


async def _remember(job: CallJob, contact: IndexedContact, via: str) -> IndexedContact:
    """The call's contact, remembered with the job's success (until then this job knows it;
    a later attempt finds it again the same way)."""
    job.done_on_success("contact", contact.remote_id, {"via": via})
    job.contact = contact
    return contact


async def sync_to_phonebook(job: CallJob, contact: IndexedContact) -> str:
    """F8: copy the contact into the chosen phonebook group (or record why not)."""
    if job.helpdesk.settings.contact_sync_group_id is None:
        return "contact sync is off"
    async with job.pipeline.db.transaction() as session:
        return await sync_contact(
            session, job.helpdesk.connection_id, job.helpdesk.settings, contact
        )
