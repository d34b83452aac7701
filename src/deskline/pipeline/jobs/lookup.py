"""``helpdesk.lookup`` and ``helpdesk.create_contact``: the call's contact, then its pops.

The lookup job runs when the local index did not know the caller (or F9 "always query" is
on): it asks the helpdesk, creates the contact when F10 says so, syncs it (F8) and pops it to
the agents whose pop is due — once per call per agent, also when the ring is already over but
the call is still live. A lookup that fails for good pops those agents without a contact. The
create job is the agent's manual "create contact" (F10 manual).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.pipeline.actions import call_key
from deskline.pipeline.bindings import BoundAgent, involved_bound
from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.jobs.common import CallJob, Kinds, enqueue_call_job
from deskline.pipeline.jobs.contacts import resolve_contact, sync_to_phonebook
from deskline.pipeline.pop_rules import due_pops
from deskline.pipeline.screen_pop import PopTrigger
from deskline.templates.model import ScenarioId

if TYPE_CHECKING:
    from deskline.integration.connectors import ActiveHelpdesk
    from deskline.pipeline.service import Pipeline


async def run_lookup(job: CallJob) -> str | None:
    job.context.after_failure(partial(_pop_from_stored_call, job, None, changed_only=False))
    creates = job.helpdesk.settings.contact_creation.creates_for
    create = job.call.direction is not None and creates(job.call.direction)
    contact = await resolve_contact(job, create=create)
    notes = [f"contact {contact.remote_id}" if contact else "no contact"]
    if contact is not None:
        notes.append(await sync_to_phonebook(job, contact))
    notes.append(await pop_due(job, contact))
    job.context.after_success(partial(_pop_from_stored_call, job, contact, changed_only=True))
    return "; ".join(notes)


async def _pop_from_stored_call(
    job: CallJob, contact: IndexedContact | None, *, changed_only: bool
) -> None:
    """Once the lookup's outcome is committed, pop what the call as stored now makes due.

    The ingest leaves a call's pops to its running lookup job, and a change stored while the
    job ran (an "ended" pop of a call that ended while the helpdesk was asked) would otherwise
    pop only with the call's next change, never when it was the last. Whichever of the two
    looks last sees the other's commit, so the pop is neither lost nor sent twice. After a
    success (``changed_only``) the job has popped the call as it started from; after a
    failure for good nothing was popped, and the pops go without a contact."""
    async with job.pipeline.db.direct_read() as session:
        call = await job.pipeline.load_call(job.source, job.call_id, session)
    if call is None or (changed_only and call == job.call):
        return
    job.call = call
    await pop_due(job, contact, committed=True)


async def run_create_contact(job: CallJob) -> str | None:
    contact = await resolve_contact(job, create=True)
    if contact is None:
        return "no contact: the number cannot be looked up or created"
    notes = [f"contact {contact.remote_id}", await sync_to_phonebook(job, contact)]
    extension = job.payload.get("extension")
    if isinstance(extension, str) and extension:
        await job.pipeline.hub.notify(
            call_key(job.source, job.call_id), PopTrigger.MANUAL, extension, contact
        )
    return "; ".join(notes)


async def pop_due(job: CallJob, contact: IndexedContact | None, *, committed: bool = False) -> str:
    """Pop the call to agents whose automatic pop is due and who were not popped yet
    (``committed``: the job's success is committed already, so its display jobs are added in
    a transaction of their own)."""
    bound = await job.bound_agents()
    agents = due_pops(job.call, involved_bound(job.call, bound), late=True)
    popped: list[BoundAgent] = []
    key = call_key(job.source, job.call_id)
    for agent in agents:
        trigger = agent.pop_trigger
        if await job.pipeline.hub.pop(key, trigger, agent.extension, contact):
            popped.append(agent)
    if contact is not None and agents:
        if committed:
            await enqueue_displays_now(job.pipeline, job.helpdesk, job.source, job.call_id, agents)
        else:
            await enqueue_displays(job, agents)
    return f"popped to {', '.join(a.extension for a in popped) or 'nobody'}"


async def enqueue_displays(job: CallJob, agents: list[BoundAgent]) -> None:
    """F29: with Talk Partner Edition on, the helpdesk's own pop for each agent (a job each)."""
    wanted = displayed_extensions(job.helpdesk, agents)
    if not wanted:
        return

    async def write(session: AsyncSession) -> None:
        await _add_displays(session, job.source, job.call_id, wanted)

    job.context.on_success(write)


async def enqueue_displays_now(
    pipeline: Pipeline,
    helpdesk: ActiveHelpdesk,
    source: str,
    call_id: str,
    agents: list[BoundAgent],
) -> None:
    """:func:`enqueue_displays` in a transaction of its own (after the deciding one committed),
    waking the worker when a display job was added."""
    wanted = displayed_extensions(helpdesk, agents)
    if not wanted:
        return
    async with pipeline.db.transaction() as session:
        added = await _add_displays(session, source, call_id, wanted)
    if added:
        pipeline.jobs_enqueued()


def displays_on(helpdesk: ActiveHelpdesk) -> bool:
    """Pops also go through the helpdesk (Talk Partner Edition, F29): the setting is on and
    the template has a screen-pop scenario."""
    return bool(helpdesk.settings.talk_partner_edition) and (
        helpdesk.template.scenario(ScenarioId.SCREEN_POP) is not None
    )


def displayed_extensions(helpdesk: ActiveHelpdesk, agents: list[BoundAgent]) -> list[str]:
    """The agents who get the helpdesk's own pop too: those with a helpdesk user."""
    if not displays_on(helpdesk):
        return []
    return [a.extension for a in agents if a.agent.user_id]


async def _add_displays(
    session: AsyncSession, source: str, call_id: str, extensions: list[str]
) -> bool:
    """One display job per extension, once per call (its key); True when one was added."""
    added = False
    for extension in extensions:
        added |= await enqueue_call_job(
            session, Kinds.SCREEN_POP, source, call_id, f"display:{extension}", extension=extension
        )
    return added
