"""The pipeline of one deskline process: what every listener, job and agent socket shares.

::

    pipeline = Pipeline(db, settings, provider, fetcher=runtime_fetcher)
    pipeline.register_jobs()      # the helpdesk.* (index refresh too) and recording.* job kinds
    ingestors = IngestorRegistry(db, listener_for=pipeline.listener_for)
    ...
    reply = await pipeline.agent_request("2005", {"type": "open", "call_id": "pbx:42"})
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from deskline.calls.model import Call
from deskline.integration.connectors import ActiveHelpdesk, ConnectorProvider
from deskline.phones import NumberNormaliser, shared_normaliser
from deskline.pipeline.bindings import BoundAgent, bound_agents
from deskline.pipeline.contact_index import ContactIndex, IndexMatch, is_lookupable
from deskline.pipeline.listener import SourceListener
from deskline.pipeline.recordings import (
    RecordingCache,
    RecordingFetcher,
    RecordingLinks,
    RecordingOptions,
)
from deskline.pipeline.screen_pop import PopHub
from deskline.pipeline.variables import customer_number
from deskline.settings import Settings
from deskline.store.changes import MISSING, ReadCache
from deskline.store.db import Database
from deskline.store.direct_transaction import Statements, orm_session
from deskline.store.repositories import calls as call_rows

LOOKUP_PRIORITY = 10


@dataclass(frozen=True)
class PipelineOptions:
    own_numbers: tuple[str, ...] = ()
    """The company's own numbers (DIDs, main line): never looked up or created as contacts."""
    wait_seconds: float = 30.0
    """How long a job waits before it looks again at a helpdesk that needs re-authorization
    or is disabled."""
    recordings: RecordingOptions = field(default_factory=RecordingOptions)


async def _no_fetcher(source: str, ref: str, destination: Path) -> object:
    from deskline.pbx.recordings import RecordingUnavailableError

    raise RecordingUnavailableError("this deskline process cannot reach the PBX")


class CallMatches:
    """The contact each recent call's caller matched in the local index, kept for the call.

    A call's ring-time pop, its lookup decision, its Talk Partner Edition display and its
    ticket then name one contact, the one the agent was shown, without reading the index again
    for each (a read the index's changes by other calls' lookups made miss the read cache).
    Only matches are kept: a caller the index did not know is looked up, and the contact found
    or created is the call's ``contact`` action. Bounded: the oldest calls are forgotten."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._matches: OrderedDict[tuple[int, str, str], IndexMatch] = OrderedDict()

    def __repr__(self) -> str:
        return f"CallMatches({len(self._matches)} of {self.limit})"

    def get(self, connection_id: int, source: str, call_id: str) -> IndexMatch | None:
        return self._matches.get((connection_id, source, call_id))

    def keep(self, connection_id: int, source: str, call_id: str, match: IndexMatch) -> None:
        if not match.found:
            return
        self._matches[connection_id, source, call_id] = match
        self._matches.move_to_end((connection_id, source, call_id))
        while len(self._matches) > self.limit:
            self._matches.popitem(last=False)


class Pipeline:
    """Joins calls, the local contact index, the connected helpdesk and the agents' sockets."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        provider: ConnectorProvider,
        *,
        hub: PopHub | None = None,
        fetcher: RecordingFetcher | None = None,
        options: PipelineOptions | None = None,
        normaliser: NumberNormaliser | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.provider = provider
        self.options = options or PipelineOptions()
        self.hub = hub or PopHub()
        self.normaliser = normaliser or shared_normaliser(settings.default_country)
        self.index = ContactIndex(self.normaliser)
        self.tz = settings.tz
        self.links = RecordingLinks(
            settings.effective_secret_key,
            settings.effective_public_url,
            self.options.recordings.link_ttl_seconds,
        )
        self._bindings: ReadCache[int, dict[str, BoundAgent]] = db.read_cache(
            {"extension_bindings", "helpdesk_users"}, max_entries=4
        )
        self._matches: ReadCache[tuple[int, str], IndexMatch] = db.read_cache(
            {"helpdesk_contacts", "helpdesk_contact_numbers"}, max_entries=4096
        )
        self.call_matches = CallMatches()
        self.recordings = RecordingCache(
            db,
            settings.data_dir / "recordings",
            fetcher or _no_fetcher,  # type: ignore[arg-type]
        )

        self.on_jobs_enqueued: Callable[[], None] | None = None
        """Called when a listener has committed new jobs (the in-process worker's wake)."""

    def __repr__(self) -> str:
        return f"Pipeline({self.db!r}, {self.hub!r})"

    def jobs_enqueued(self) -> None:
        if self.on_jobs_enqueued is not None:
            self.on_jobs_enqueued()

    # --- wiring ------------------------------------------------------------------------------

    def listener_for(self, source: str) -> SourceListener:
        """The ingest listener of one PBX connection (``IngestorRegistry(listener_for=…)``)."""
        return SourceListener(self, source)

    def register_jobs(self) -> None:
        """Register the pipeline's job kinds with the outbox (this process runs them)."""
        from deskline.outbox import register_handler
        from deskline.pipeline.index_refresh import INDEX_REFRESH_KIND, index_refresh_handler
        from deskline.pipeline.jobs import register

        register(self)
        register_handler(INDEX_REFRESH_KIND, index_refresh_handler(self), replace=True)

    async def agent_request(self, extension: str, message: object) -> dict[str, object] | None:
        """An agent's WebSocket message → the reply (see docs/screen-pop.md)."""
        from deskline.pipeline.agent_requests import answer

        return await answer(self, extension, message)

    # --- shared helpers ----------------------------------------------------------------------

    def lookupable(self, number: str | None) -> bool:
        return is_lookupable(self.normaliser, number, self.options.own_numbers)

    async def local_match(
        self, session: Statements, helpdesk: ActiveHelpdesk, call: Call
    ) -> IndexMatch:
        number = customer_number(call)
        if not number or not self.lookupable(number):
            return IndexMatch()
        return await self.match_number(session, helpdesk.connection_id, number)

    async def call_match(
        self, session: Statements, helpdesk: ActiveHelpdesk, source: str, call: Call
    ) -> IndexMatch:
        """The index's match of the call's customer, as the call first matched it in this
        process (:class:`CallMatches`), else as the index has it now."""
        kept = self.call_matches.get(helpdesk.connection_id, source, call.call_id)
        if kept is not None:
            return kept
        match = await self.local_match(session, helpdesk, call)
        self.call_matches.keep(helpdesk.connection_id, source, call.call_id, match)
        return match

    async def match_number(
        self, session: Statements, connection_id: int, number: str
    ) -> IndexMatch:
        """The index's match of ``number``, kept until this process changes the index (or
        for the read cache's time to live: another process's change may go unseen that long,
        so a decision that must not miss one — creating a contact — reads the index itself)."""
        return await self._matches.read_through(
            session,
            (connection_id, number),
            lambda: self.index.find(session, connection_id, number),
        )

    def cached_bound_agents(self, connection_id: int) -> dict[str, BoundAgent] | None:
        """:meth:`bound_agents` when it is cached (no session needed), else None."""
        found = self._bindings.get(connection_id)
        return None if found is MISSING else found  # type: ignore[return-value]

    async def bound_agents(self, on: Statements, connection_id: int) -> dict[str, BoundAgent]:
        """Every bound extension of the connection (read once per change of the bindings)."""

        async def read() -> dict[str, BoundAgent]:
            return await bound_agents(await orm_session(on), connection_id)

        return await self._bindings.read_through(on, connection_id, read)

    async def load_call(
        self, source: str, call_id: str, session: Statements | None = None
    ) -> Call | None:
        if session is None:
            async with self.db.direct_read() as own:
                return await self.load_call(source, call_id, own)
        calls = await call_rows.load_calls(session, source, [call_id])
        if not calls:
            return None
        return calls[0].model_copy(update={"source": source})
