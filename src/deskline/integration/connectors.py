"""THE way to get a :class:`~deskline.connector.Connector` for the connected helpdesk.

::

    provider = ConnectorProvider(db, box, tz=settings.tz)
    async with db.read() as session:
        helpdesk = await provider.active(session)     # None: not connected, or disabled
    if helpdesk is None: ...
    if helpdesk.needs_reauth: ...                      # wait (reschedule), do not fail
    connector = await helpdesk.connector()             # cached; do not close it
    try:
        result = await connector.lookup("+15135557611")
    except HelpdeskAuthError as exc:
        if await helpdesk.mark_needs_reauth(exc): ...  # status needs_reauth; jobs wait
        else: ...                                      # tokens changed meanwhile: retry

Connectors are cached per connection and configuration (template version, field values,
authorization); a connector is rebuilt when another process stored newer tokens. Replaced
connectors are closed after a grace period, so a job still using one is not cut off.
Network calls never run inside a database transaction (the token store opens its own).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.budget import BudgetRegistry
from deskline.connector import ClientLimits, Connector
from deskline.crypto import SecretBox
from deskline.errors import HelpdeskError
from deskline.integration.records import (
    ConnectionStatus,
    connection_by_id,
    current_connection,
    read_secrets,
)
from deskline.integration.settings_model import IntegrationSettings
from deskline.integration.template_source import LoadedTemplate, load_template
from deskline.integration.tokens import DatabaseTokenStore
from deskline.settings import Settings
from deskline.store.changes import ReadCache
from deskline.store.db import Database
from deskline.store.direct_transaction import Statements, orm_session
from deskline.store.models import HelpdeskConnection
from deskline.templates.model.template import HelpdeskTemplate

MAX_STATUS_DETAIL = 500
CONNECTION_TABLES = {"helpdesk_connections", "custom_templates"}
"""What a snapshot is read from."""


def budget_name(connection_id: int) -> str:
    """The name of a helpdesk connection's request budget (metrics label, Redis key)."""
    return f"helpdesk:{connection_id}"


@dataclass(frozen=True)
class ProviderOptions:
    """How connectors are built (tests pass the emulator's clock, short grace periods)."""

    clock: Callable[[], float] = time.time
    limits: ClientLimits | None = None
    retire_grace_seconds: float = 120.0


@dataclass(frozen=True, eq=False)
class ActiveHelpdesk:
    """The connected helpdesk as one job or request sees it (a snapshot of its row)."""

    connection_id: int
    name: str
    template_key: str
    template: HelpdeskTemplate = field(repr=False)
    settings: IntegrationSettings = field(repr=False)
    status: str
    enabled: bool
    field_values: Mapping[str, str] = field(repr=False)
    fingerprint: str = field(repr=False)
    tokens_obtained_at: float | None = field(repr=False)
    provider: ConnectorProvider = field(repr=False)

    @property
    def needs_reauth(self) -> bool:
        return self.status == ConnectionStatus.NEEDS_REAUTH

    @property
    def ready(self) -> bool:
        """Enabled and authorized: helpdesk requests may be sent."""
        return self.enabled and self.status == ConnectionStatus.CONNECTED

    async def connector(self) -> Connector:
        """The connector of this connection (shared and cached: do not close it)."""
        return await self.provider.connector_for(self)

    async def mark_needs_reauth(self, error: HelpdeskError | str) -> bool:
        """Record that the helpdesk refused our authorization (status ``needs_reauth``).

        Returns False (and changes nothing) when the stored tokens changed since this
        connector loaded them — another process refreshed them — so the caller retries."""
        return await self.provider.mark_needs_reauth(self, str(error))


@dataclass
class _Entry:
    fingerprint: str
    store: DatabaseTokenStore
    connector: Connector
    budget_rpm: int | None = None


class ConnectorProvider:
    """Builds, caches and retires connectors for the (single) helpdesk connection."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        tz: tzinfo = UTC,
        options: ProviderOptions | None = None,
        budgets: BudgetRegistry | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self.tz = tz
        self.options = options or ProviderOptions()
        self.budgets = budgets
        self._entries: dict[int, _Entry] = {}
        self._snapshots: dict[int, tuple[tuple[object, ...], ActiveHelpdesk]] = {}
        self._retired: list[tuple[float, Connector]] = []
        self._lock = asyncio.Lock()
        # every call event and job asks for the connection: read once per change (or TTL)
        self._current: ReadCache[None, ActiveHelpdesk | None] = db.read_cache(
            CONNECTION_TABLES, max_entries=1
        )

    @classmethod
    def for_settings(
        cls, db: Database, settings: Settings, options: ProviderOptions | None = None
    ) -> ConnectorProvider:
        return cls(
            db,
            SecretBox(settings.effective_secret_key),
            tz=settings.tz,
            options=options,
            budgets=BudgetRegistry.from_settings(settings),
        )

    def __repr__(self) -> str:
        return f"ConnectorProvider({self.db!r}, cached={sorted(self._entries)})"

    # --- snapshots ---------------------------------------------------------------------------

    async def current(self, on: Statements) -> ActiveHelpdesk | None:
        """The helpdesk connection whether enabled or not (None: nothing connected yet).

        A connection still waiting for its first authorization counts as not connected."""

        async def read() -> ActiveHelpdesk | None:
            session = await orm_session(on)
            row = await current_connection(session)
            if row is None or row.status == ConnectionStatus.AUTHORIZING:
                return None
            return await self.snapshot(session, row)

        return await self._current.read_through(on, None, read)

    def cached_current(self) -> ActiveHelpdesk | object | None:
        """:meth:`current` when it is cached (no session needed), else
        :data:`~deskline.store.changes.MISSING`."""
        return self._current.get(None)

    async def active(self, on: Statements) -> ActiveHelpdesk | None:
        """The connected, enabled helpdesk (possibly ``needs_reauth``), or None."""
        helpdesk = await self.current(on)
        return helpdesk if helpdesk is not None and helpdesk.enabled else None

    async def snapshot(self, session: AsyncSession, row: HelpdeskConnection) -> ActiveHelpdesk:
        """The row as an :class:`ActiveHelpdesk`; kept while the row and its template are
        unchanged (every call event asks, and decrypting + validating each time was a large
        part of the ring-to-pop time)."""
        loaded = await load_template(session, row.template_key)
        version = (row.updated_at, row.status, row.enabled, row.secrets, loaded.version)
        cached = self._snapshots.get(row.id)
        if cached is not None and cached[0] == version:
            return cached[1]
        secrets = read_secrets(self.box, row)
        values = {**{k: str(v) for k, v in row.fields.items()}, **secrets.fields}
        helpdesk = ActiveHelpdesk(
            connection_id=row.id,
            name=row.name,
            template_key=row.template_key,
            template=loaded.template,
            settings=IntegrationSettings.from_stored(row.settings),
            status=row.status,
            enabled=row.enabled,
            field_values=MappingProxyType(values),
            fingerprint=_fingerprint(row, loaded, values),
            tokens_obtained_at=secrets.tokens.obtained_at if secrets.tokens else None,
            provider=self,
        )
        self._snapshots[row.id] = (version, helpdesk)
        return helpdesk

    # --- connectors --------------------------------------------------------------------------

    def build(
        self,
        template: HelpdeskTemplate,
        field_values: Mapping[str, str],
        connection_id: int,
        *,
        budget_rpm: int | None = None,
    ) -> tuple[Connector, DatabaseTokenStore]:
        """A new connector (the caller owns and closes it), e.g. while connecting.

        Its requests wait for the connection's budget (shared by every connector of the
        connection in this process, and across processes when Redis is configured)."""
        store = DatabaseTokenStore(self.db, self.box, connection_id)
        budget = (
            self.budgets.budget_for(budget_name(connection_id), budget_rpm)
            if self.budgets is not None
            else None
        )
        connector = Connector(
            template,
            field_values,
            store,
            limits=self.options.limits,
            clock=self.options.clock,
            tz=self.tz,
            budget=budget,
            request_details=False,  # the request log keeps URL, status and outcome only
        )
        return connector, store

    async def connector_for(self, helpdesk: ActiveHelpdesk) -> Connector:
        async with self._lock:
            entry = self._entries.get(helpdesk.connection_id)
            rpm = helpdesk.settings.api_budget_rpm
            if entry is not None and entry.budget_rpm == rpm and self._still_good(entry, helpdesk):
                return entry.connector
            if entry is not None:
                self._retire(entry.connector)
            connector, store = self.build(
                helpdesk.template, helpdesk.field_values, helpdesk.connection_id, budget_rpm=rpm
            )
            self._entries[helpdesk.connection_id] = _Entry(
                helpdesk.fingerprint, store, connector, rpm
            )
            await self._close_retired(force=False)
            return connector

    @staticmethod
    def _still_good(entry: _Entry, helpdesk: ActiveHelpdesk) -> bool:
        if entry.fingerprint != helpdesk.fingerprint:
            return False
        known = entry.store.known_obtained_at
        # tokens not loaded yet: the connector reads the row on first use
        return known is None or helpdesk.tokens_obtained_at in (None, known)

    def _retire(self, connector: Connector) -> None:
        self._retired.append((time.monotonic(), connector))

    async def _close_retired(self, *, force: bool) -> None:
        now = time.monotonic()
        keep: list[tuple[float, Connector]] = []
        for retired_at, connector in self._retired:
            if force or now - retired_at >= self.options.retire_grace_seconds:
                await connector.aclose()
            else:
                keep.append((retired_at, connector))
        self._retired = keep

    async def forget(self, connection_id: int) -> None:
        """Drop the cached connector of a connection (disconnect, reconnect, new settings)."""
        async with self._lock:
            entry = self._entries.pop(connection_id, None)
            if entry is not None:
                self._retire(entry.connector)

    async def mark_needs_reauth(self, helpdesk: ActiveHelpdesk, detail: str) -> bool:
        entry = self._entries.get(helpdesk.connection_id)
        known = entry.store.known_obtained_at if entry else helpdesk.tokens_obtained_at
        async with self.db.transaction() as session:
            row = await connection_by_id(session, helpdesk.connection_id, for_update=True)
            if row is None:
                return False
            tokens = read_secrets(self.box, row).tokens
            if tokens is not None and known is not None and tokens.obtained_at != known:
                return False  # another process stored newer tokens: retry with them
            row.status = ConnectionStatus.NEEDS_REAUTH.value
            row.status_detail = detail[:MAX_STATUS_DETAIL]
        await self.forget(helpdesk.connection_id)
        return True

    async def aclose(self) -> None:
        async with self._lock:
            for entry in self._entries.values():
                self._retire(entry.connector)
            self._entries.clear()
            await self._close_retired(force=True)
        if self.budgets is not None:
            await self.budgets.aclose()


def _fingerprint(row: HelpdeskConnection, loaded: LoadedTemplate, values: Mapping[str, str]) -> str:
    """What the connector depends on, except the tokens (which the token store tracks)."""
    material = json.dumps(
        [
            row.id,
            loaded.key,
            loaded.version,
            sorted(values.items()),
            row.connected_at.isoformat() if row.connected_at else None,
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()
