"""``helpdesk.create_ticket`` and ``helpdesk.call_journal`` (F11, F12, F13, F21).

Tickets: before the call (``timing`` ``before``) or after it (``after``), for the call's
contact (found or created: unknown numbers get a ticket only when F10 creates them), assigned
to the responsible agent, with the admin's subject and description. The ticket action's key
is sent as ``IdempotencyKey`` (Zendesk's ``Idempotency-Key``): a job killed after the helpdesk
answered and run again gets the same ticket back instead of a second one; the ticket id is
stored in the transaction that records the job's success.

After the call, when the template says ``JournalInTicket`` and the journal applies, the ticket
request carries the call journal itself (``WithCallJournal``): one write per call.

Journal: the call is logged on its ticket (CallJournal) with deskline's recording link when
F13 is on and the recording is ready. For queue and ring-group calls, with "skip missed for
unanswered agents" (F21) only the answering agent's journal is written; without it, the other
bound agents rung get a "No Answer" entry each. Entries are written one at a time, each
recorded as soon as the helpdesk took it; a later attempt of the job first asks the ticket
(the template's CallJournalCheck) whether the attempt before logged an entry it could not
record, so a crash or a timeout between the two does not log the call twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskline.calls.model import Call
from deskline.pipeline.actions import ActionState, action_key, record_action
from deskline.pipeline.bindings import BoundAgent, involved_bound, responsible_agent
from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.jobs.common import CallJob
from deskline.pipeline.jobs.contacts import known_contact, resolve_contact, sync_to_phonebook
from deskline.pipeline.jobs.recording import prepare_recording
from deskline.pipeline.recordings import RecordingState
from deskline.pipeline.variables import Agent, call_variables
from deskline.templates.model import ScenarioId
from deskline.templates.model.feature_views import ActivitySettings
from deskline.templates.model.template import HelpdeskTemplate

BEFORE = "before"
AFTER = "after"


def template_journals_in_ticket(template: HelpdeskTemplate) -> bool:
    """The template's after-call ticket request can carry the call journal itself."""
    scenario = template.scenario(ScenarioId.CREATE_NEW_TICKET)
    return scenario is not None and ActivitySettings.of(scenario).journal_in_ticket


async def record_path(job: CallJob) -> str:
    """deskline's signed link of the call's recording, when F13 applies and it is ready."""
    if not job.helpdesk.settings.recording_applies:
        return ""
    row = job.recording
    if row is None or row.state != RecordingState.READY:
        return ""
    return job.pipeline.links.url(row.token)


def _ringing_view(call: Call) -> Call:
    """The call as it was when it rang (a before-call ticket renders the same on a retry)."""
    return call.model_copy(update={"status": None, "answered_at": None, "ended_at": None})


async def run_create_ticket(job: CallJob) -> str | None:
    existing = job.action("ticket")
    if existing is not None and existing.state == ActionState.DONE:
        return f"ticket {existing.remote_id} exists"
    settings = job.helpdesk.settings
    timing = str(job.payload.get("timing", AFTER))
    direction = job.call.direction
    create = direction is not None and settings.contact_creation.creates_for(direction)
    contact = await resolve_contact(job, create=create)
    if contact is None:
        await _skip(job, "ticket", "the caller is not a helpdesk contact")
        return "no ticket: the number is not a helpdesk contact"
    await sync_to_phonebook(job, contact)
    bound = await job.bound_agents()
    chosen = responsible_agent(job.call, bound)
    agent = chosen.agent if chosen else None
    with_journal = (
        timing == AFTER
        and settings.journal_applies
        and template_journals_in_ticket(job.helpdesk.template)
    )
    if with_journal:
        await prepare_recording(job)
    call = job.call if timing == AFTER else _ringing_view(job.call)
    key = action_key(job.source, job.call_id, "ticket")
    variables = call_variables(
        call,
        tz=job.pipeline.tz,
        agent=agent,
        contact=contact,
        idempotency_key=key,
        record_path=await record_path(job) if with_journal else "",
    )
    variables["WithCallJournal"] = "1" if with_journal else ""
    connector = await job.connector()
    async with job.requests():
        result = await connector.create_ticket(
            variables, settings=settings.tickets.template_settings()
        )
    ticket_id = result.outputs.get("TicketId")
    if ticket_id in (None, "", []):
        await _skip(job, "ticket", "the helpdesk answered without a ticket id")
        return "the helpdesk answered without a ticket id"

    job.done_on_success(
        "ticket",
        str(ticket_id),
        {
            "timing": timing,
            "journal_in_ticket": with_journal,
            "agent": agent.extension if agent else None,
        },
    )
    if with_journal:
        job.done_on_success(
            "journal",
            str(ticket_id),
            {"in_ticket": True, "recording": bool(variables["RecordPath"])},
        )
    return f"ticket {ticket_id}" + (" with its call journal" if with_journal else "")


async def _skip(job: CallJob, action: str, reason: str) -> None:
    async with job.pipeline.db.transaction() as session:
        row = await record_action(
            session,
            job.source,
            job.call_id,
            action,
            state=ActionState.SKIPPED,
            detail={"reason": reason},
        )
    job.remember(row)


def journal_entries(
    call: Call, bound: dict[str, BoundAgent], skip_missed: bool
) -> list[tuple[str, Agent | None, str | None]]:
    """(action, agent, status override) of each journal entry the call gets."""
    main = responsible_agent(call, bound)
    entries: list[tuple[str, Agent | None, str | None]] = [
        ("journal", main.agent if main else None, None)
    ]
    if skip_missed or call.answered_by is None:
        return entries
    for other in involved_bound(call, bound):
        if other.extension != call.answered_by:
            entries.append((f"journal:{other.extension}", other.agent, "No Answer"))
    return entries


async def run_call_journal(job: CallJob) -> str | None:
    settings = job.helpdesk.settings
    if not settings.journal_applies:
        return "the call journal is off"
    ticket = job.action("ticket")
    if ticket is None or ticket.state != ActionState.DONE or not ticket.remote_id:
        return "no ticket for this call: nothing to log on"
    await prepare_recording(job)
    bound = await job.bound_agents()
    contact = await known_contact(job)
    path = await record_path(job)
    entries = [
        _JournalEntry(action, agent, status, contact, ticket.remote_id, path)
        for action, agent, status in journal_entries(
            job.call, bound, settings.skip_missed_for_unanswered_agents
        )
    ]
    found = await _found_on_ticket(job, entries) if job.job.attempt > 1 else None
    written = [found.action] if found else []
    for entry in entries:
        if job.done(entry.action):
            continue
        await _write_journal(job, entry)
        written.append(entry.action)
    return f"journal on ticket {ticket.remote_id}: {', '.join(written) or 'already written'}"


@dataclass(frozen=True)
class _JournalEntry:
    """One entry of the call's journal: the call logged for one agent on the ticket."""

    action: str
    agent: Agent | None
    status: str | None
    contact: IndexedContact | None
    ticket_id: str
    path: str

    def variables(self, job: CallJob) -> dict[str, object]:
        return call_variables(
            job.call,
            tz=job.pipeline.tz,
            agent=self.agent,
            contact=self.contact,
            idempotency_key=action_key(job.source, job.call_id, self.action),
            record_path=self.path,
            ticket_id=self.ticket_id,
            status_override=self.status,
        )


async def _found_on_ticket(job: CallJob, entries: list[_JournalEntry]) -> _JournalEntry | None:
    """On a later attempt, the entry the attempt before logged but did not record, if any.

    Entries are written one by one, in order, each recorded right after the helpdesk took
    it; an attempt that died (or timed out) in between may have logged the first entry not
    recorded. When the template can list the entries on the ticket (CallJournalCheck) and
    the ticket holds more than deskline recorded, that entry landed: it is recorded now and
    not written a second time. Without CallJournalCheck it is written again (at least once).
    """
    pending = [entry for entry in entries if not job.done(entry.action)]
    if not pending:
        return None
    connector = await job.connector()
    if not connector.checks_journal:
        return None
    async with job.requests():
        on_ticket = await connector.journal_entries_on_ticket(pending[0].variables(job))
    if on_ticket <= len(entries) - len(pending):
        return None
    await _record_entry(job, pending[0], found=True)
    return pending[0]


async def _write_journal(job: CallJob, entry: _JournalEntry) -> None:
    connector = await job.connector()
    async with job.requests():
        await connector.log_call(
            entry.variables(job), settings=job.helpdesk.settings.tickets.template_settings()
        )
    # remembered at once: a retry of this job must not log the same entry twice
    await _record_entry(job, entry)


async def _record_entry(job: CallJob, entry: _JournalEntry, *, found: bool = False) -> None:
    detail: dict[str, object] = {
        "recording": bool(entry.path),
        "agent": entry.agent.extension if entry.agent else None,
    }
    if found:
        detail["found_on_ticket"] = True  # logged by an interrupted attempt
    async with job.pipeline.db.transaction() as session:
        row = await record_action(
            session, job.source, job.call_id, entry.action, remote_id=entry.ticket_id, detail=detail
        )
    job.remember(row)
