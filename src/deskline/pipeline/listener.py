"""The ingest listener: decides, in the transaction that stores a call change, what to do.

For an external call involving a bound extension of the connected (enabled) helpdesk:

- **ring time**: the customer's number is looked up in the local index — no HTTP. A miss (or
  F9 "always query") enqueues a high-priority ``helpdesk.lookup``; a hit is synced to the
  phonebook group (F8) and popped to the agents whose pop is due **right after the commit**
  (:meth:`SourceListener.after_commit`), without a job. A before-call ticket is enqueued.
- **answered / ended**: pops for those triggers; when the call ends, the recording's row (F13),
  the after-call ticket and the call journal (no journal job when the after-call ticket
  carries the journal; whichever job writes the journal fetches the recording first).

Jobs use ``ordering_key = call:<source>:<id>`` and one idempotency key per (call, action), so
seeing the same call change twice (a redelivery, a restart) enqueues nothing new.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.calls.model import Call, Direction
from deskline.calls.tracker import TrackerUpdate
from deskline.integration.connectors import ActiveHelpdesk
from deskline.observability.metrics import SCREEN_POP_SECONDS
from deskline.pipeline.actions import action_key, call_key
from deskline.pipeline.bindings import BoundAgent, involved_bound
from deskline.pipeline.contact_index import IndexedContact, IndexMatch
from deskline.pipeline.contact_sync import sync_contact
from deskline.pipeline.jobs.common import Kinds, enqueue_call_job
from deskline.pipeline.jobs.lookup import displays_on, enqueue_displays_now
from deskline.pipeline.jobs.tickets import journal_entries, template_journals_in_ticket
from deskline.pipeline.pop_rules import due_pops
from deskline.pipeline.recordings import add_recording
from deskline.pipeline.variables import customer_number
from deskline.store.changes import MISSING
from deskline.store.models import JobState
from deskline.store.repositories.jobs import job_state_by_idempotency_key

if TYPE_CHECKING:
    from deskline.pipeline.service import Pipeline

log = logging.getLogger(__name__)

LOOKUP_PRIORITY = 10
_REMEMBERED_CALLS = 5000


@dataclass(frozen=True)
class DeferredPops:
    """Pops due in a transaction that left them to a running lookup job, to look at again
    once the transaction has committed (the job may have finished in between)."""

    call: Call
    helpdesk: ActiveHelpdesk
    agents: list[BoundAgent]


@dataclass(frozen=True)
class PendingPop:
    call_key: str
    trigger: str
    extension: str
    contact: IndexedContact | None
    decided_at: float = field(default_factory=time.monotonic)


class SourceListener:
    """The listener of one PBX connection's ingestor (its batches never overlap)."""

    def __init__(self, pipeline: Pipeline, source: str) -> None:
        self.pipeline = pipeline
        self.source = source
        self._pending: list[PendingPop] = []
        self._deferred: list[DeferredPops] = []
        self._lookups_added: set[str] = set()
        self._decided = _DecidedMemo(_REMEMBERED_CALLS * 4)
        self._enqueued = False

    def __repr__(self) -> str:
        return f"SourceListener({self.source!r})"

    async def __call__(self, session: AsyncSession, update: TrackerUpdate) -> None:
        await self.on_call(session, update)

    async def on_call(self, session: AsyncSession, update: TrackerUpdate) -> None:
        call = update.call
        if not call.is_external:
            return
        helpdesk = await self.pipeline.provider.active(session)
        if helpdesk is None:
            return
        bound = await self.pipeline.bound_agents(session, helpdesk.connection_id)
        agents = involved_bound(call, bound)
        if not agents:
            return
        # the index is read only when something needs it: the call's first change with a bound
        # agent (lookup, phonebook sync) or a pop (or a Talk Partner Edition display) due now
        first_look = self._decided.first(call.call_id, "index")
        due = due_pops(call, agents)
        if first_look or self._undone(helpdesk, call, due):
            match = await self.pipeline.call_match(session, helpdesk, self.source, call)
            if first_look:
                await self._lookup(session, helpdesk, call, match)
            if due:
                await self._pops(session, helpdesk, call, due, match)
        await self._tickets(session, helpdesk, call, update.ended, bound)

    # --- lookup ------------------------------------------------------------------------------

    async def _lookup(
        self, session: AsyncSession, helpdesk: ActiveHelpdesk, call: Call, match: IndexMatch
    ) -> None:
        if not self.pipeline.lookupable(customer_number(call)):
            return
        if not match.found or helpdesk.settings.always_query_helpdesk:
            await self._enqueue(
                session,
                Kinds.LOOKUP,
                call.call_id,
                "lookup",
                priority=LOOKUP_PRIORITY,
            )
        if match.contact is not None:
            await sync_contact(session, helpdesk.connection_id, helpdesk.settings, match.contact)

    async def _enqueue(
        self,
        session: AsyncSession,
        kind: str,
        call_id: str,
        action: str,
        *,
        priority: int = 0,
        **payload: object,
    ) -> None:
        """A job of this source's call, once: a (call, action) this listener has seen committed
        is not sent to the database again (the idempotency key would refuse it anyway); the
        worker is woken after commit when a job was added."""
        if not self._decided.first(call_id, action):
            return
        if await enqueue_call_job(
            session, kind, self.source, call_id, action, priority=priority, **payload
        ):
            self._enqueued = True
            if kind == Kinds.LOOKUP:
                self._lookups_added.add(call_id)

    # --- pops --------------------------------------------------------------------------------

    def _unpopped(self, key: str, agents: list[BoundAgent]) -> list[BoundAgent]:
        """The agents not popped this call yet (by the hub's memory, no database)."""
        return [agent for agent in agents if not self.pipeline.hub.was_popped(key, agent.extension)]

    def _undone(self, helpdesk: ActiveHelpdesk, call: Call, due: list[BoundAgent]) -> bool:
        """Some due pop or display was not sent or enqueued yet (memory only, no database)."""
        if self._unpopped(call_key(self.source, call.call_id), due):
            return True
        return displays_on(helpdesk) and any(
            agent.agent.user_id and not self._decided.known(call.call_id, _display(agent))
            for agent in due
        )

    async def _pops(
        self,
        session: AsyncSession,
        helpdesk: ActiveHelpdesk,
        call: Call,
        due: list[BoundAgent],
        match: IndexMatch,
    ) -> None:
        key = call_key(self.source, call.call_id)
        if match.contact is None and await self._lookup_running(session, call):
            # the lookup job pops when it knows the contact; one enqueued by this transaction
            # starts from the call as committed, any other may finish before this commits:
            # look again then
            if call.call_id not in self._lookups_added:
                self._deferred.append(DeferredPops(call, helpdesk, due))
            return
        for agent in self._unpopped(key, due):  # early() may have popped them already
            self._pending.append(PendingPop(key, agent.pop_trigger, agent.extension, match.contact))
        if match.contact is None or not displays_on(helpdesk):
            return
        for agent in due:
            if agent.agent.user_id:
                await self._enqueue(
                    session,
                    Kinds.SCREEN_POP,
                    call.call_id,
                    _display(agent),
                    extension=agent.extension,
                )

    async def early(self, updates: Sequence[TrackerUpdate]) -> None:
        """Before a batch is stored (:mod:`deskline.ingest`): pop the callers the local index
        knows at once, without waiting for the write transaction.

        Only WebSocket pops of contacts found in the index are sent here, on a read session;
        everything else (lookups, phonebook sync, Talk Partner Edition displays, misses) is
        decided in the transaction as before, and the hub pops each (call, agent) once, so
        the stored path does not pop again."""
        calls = [u.call for u in updates if u.call.is_external]
        if not any(call.direction is Direction.INBOUND for call in calls):
            return
        if not self._may_pop_early(calls):
            return
        pops: dict[tuple[str, str], PendingPop] = {}  # one per (call, agent) in the batch
        async with self.pipeline.db.direct_read(urgent=True) as session:  # never waits its turn
            helpdesk = await self.pipeline.provider.active(session)
            if helpdesk is None:
                return
            bound = await self.pipeline.bound_agents(session, helpdesk.connection_id)
            for call in calls:
                key = call_key(self.source, call.call_id)
                due = self._unpopped(key, due_pops(call, involved_bound(call, bound)))
                due = [agent for agent in due if (key, agent.extension) not in pops]
                if not due:
                    continue
                match = await self.pipeline.call_match(session, helpdesk, self.source, call)
                if match.contact is None:
                    continue  # a miss: the lookup job pops once the helpdesk answers
                for agent in due:
                    pops[key, agent.extension] = PendingPop(
                        key, agent.pop_trigger, agent.extension, match.contact
                    )
        await self._send(list(pops.values()))

    def _may_pop_early(self, calls: list[Call]) -> bool:
        """False when, by what is cached, no call of the batch has a pop due that was not sent
        (a call's later events, its end): :meth:`early` then needs no database session."""
        helpdesk = self.pipeline.provider.cached_current()
        if helpdesk is MISSING:
            return True
        if not isinstance(helpdesk, ActiveHelpdesk) or not helpdesk.enabled:
            return False
        bound = self.pipeline.cached_bound_agents(helpdesk.connection_id)
        if bound is None:
            return True
        return any(
            self._unpopped(
                call_key(self.source, call.call_id), due_pops(call, involved_bound(call, bound))
            )
            for call in calls
        )

    async def _lookup_running(self, session: AsyncSession, call: Call) -> bool:
        """The helpdesk lookup job of this call has not finished (so it will pop).

        The job, not the ``lookup`` action, says so: the action is recorded when the helpdesk
        has answered, but the job goes on to create the contact (F10) before it pops. No job:
        none was needed (the index knew the caller)."""
        if not self.pipeline.lookupable(customer_number(call)):
            return False
        key = action_key(self.source, call.call_id, "lookup")
        state = await job_state_by_idempotency_key(session, key)
        return state in (JobState.PENDING, JobState.RUNNING)

    async def after_commit(self) -> None:
        """Send the pops decided in the transaction that just committed; wake the worker
        when it enqueued jobs (a lookup must not wait for the worker's next poll)."""
        self._decided.commit()
        if self._enqueued:
            self._enqueued = False
            self.pipeline.jobs_enqueued()
        self._lookups_added.clear()
        pending, self._pending = self._pending, []
        await self._send(pending)
        deferred, self._deferred = self._deferred, []
        if deferred:
            await self._finished_lookups(deferred)

    async def _finished_lookups(self, deferred: list[DeferredPops]) -> None:
        """The deferred pops whose lookup job finished before the commit: the job did not see
        the change just committed, so they go from here, with the contact the index has now
        (and, with Talk Partner Edition, the helpdesk's own pop)."""
        pops: list[PendingPop] = []
        displays: list[DeferredPops] = []
        try:
            async with self.pipeline.db.read(urgent=True) as session:
                for left in deferred:
                    if await self._lookup_running(session, left.call):
                        continue  # the job's look after its commit will see this change
                    key = call_key(self.source, left.call.call_id)
                    match = await self.pipeline.local_match(session, left.helpdesk, left.call)
                    pops.extend(
                        PendingPop(key, agent.pop_trigger, agent.extension, match.contact)
                        for agent in self._unpopped(key, left.agents)
                    )
                    if match.contact is not None:
                        displays.append(left)
            await self._send(pops)
            for left in displays:
                await enqueue_displays_now(
                    self.pipeline, left.helpdesk, self.source, left.call.call_id, left.agents
                )
        except Exception:
            log.exception("screen pops left to lookups: looking again failed")

    async def _send(self, pops: list[PendingPop]) -> None:
        for pop in pops:
            try:
                sent = await self.pipeline.hub.pop(
                    pop.call_key, pop.trigger, pop.extension, pop.contact
                )
                if sent:
                    SCREEN_POP_SECONDS.observe(time.monotonic() - pop.decided_at)
            except Exception:
                log.exception("screen pop of %s to %s failed", pop.call_key, pop.extension)

    def discard(self) -> None:
        """The transaction was rolled back: forget what it decided."""
        self._pending.clear()
        self._deferred.clear()
        self._lookups_added.clear()
        self._decided.forget_uncommitted()
        self._enqueued = False

    # --- tickets, journal, recording ---------------------------------------------------------

    async def _tickets(
        self,
        session: AsyncSession,
        helpdesk: ActiveHelpdesk,
        call: Call,
        ended: bool,
        bound: dict[str, BoundAgent],
    ) -> None:
        settings = helpdesk.settings
        direction = call.direction
        if direction is None:
            return
        if settings.tickets.before_call_applies(direction):
            await self._enqueue(
                session, Kinds.CREATE_TICKET, call.call_id, "ticket", timing="before"
            )
        if not ended:
            return
        # the recording is fetched by the job that writes the journal, before it writes it
        recorded = settings.recording_applies and call.recording
        if recorded and self._decided.first(call.call_id, "recording"):
            assert call.recording is not None
            await add_recording(session, self.source, call.call_id, call.recording)
        answered = call.answered_by is not None or call.answered_at is not None
        after_call = settings.tickets.after_call_applies(direction, answered)
        if after_call:
            await self._enqueue(
                session, Kinds.CREATE_TICKET, call.call_id, "ticket", timing="after"
            )
        # an after-call ticket that carries the journal leaves no journal job to do, unless
        # other agents rung get "No Answer" entries of their own (F21 off)
        if not settings.journal_applies:
            return
        carried = after_call and template_journals_in_ticket(helpdesk.template)
        if (
            not carried
            or len(journal_entries(call, bound, settings.skip_missed_for_unanswered_agents)) > 1
        ):
            await self._enqueue(session, Kinds.CALL_JOURNAL, call.call_id, "journal")


def _display(agent: BoundAgent) -> str:
    return f"display:{agent.extension}"


class _DecidedMemo:
    """What this listener decided per (call, step), kept once the deciding transaction commits.

    :meth:`first` answers True the first time for a key, and marks it tentatively; the marks
    become permanent at :meth:`commit` and are dropped by :meth:`forget_uncommitted` (a
    rolled-back transaction decided nothing). The oldest keys go beyond ``limit``, so a very
    old call's step may be decided again — which the database's idempotency keys make harmless.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kept: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._tentative: set[tuple[str, str]] = set()

    def __repr__(self) -> str:
        return f"_DecidedMemo(kept={len(self._kept)}, tentative={len(self._tentative)})"

    def first(self, call_id: str, step: str) -> bool:
        if self.known(call_id, step):
            return False
        self._tentative.add((call_id, step))
        return True

    def known(self, call_id: str, step: str) -> bool:
        """Decided already (committed or in the open transaction); marks nothing."""
        key = (call_id, step)
        return key in self._kept or key in self._tentative

    def commit(self) -> None:
        for key in self._tentative:
            self._kept[key] = None
        self._tentative.clear()
        while len(self._kept) > self.limit:
            self._kept.popitem(last=False)

    def forget_uncommitted(self) -> None:
        self._tentative.clear()
