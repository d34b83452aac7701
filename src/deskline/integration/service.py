"""Connecting, disabling and disconnecting the helpdesk (F1, F3, F4, F5).

OAuth2 templates connect in two steps::

    start = await service.connect("zendesk", {"client_id": …, "client_secret": …, …})
    # send the admin's browser to start.authorization_url; it comes back to
    # GET /oauth/callback?code=…&state=…, which calls:
    result = await service.complete_authorization(code=…, state=…, error=None)

The pending authorization (state, PKCE verifier, the field values) is kept encrypted in the
connection row for :data:`AUTHORIZATION_TTL_SECONDS` and used once: it is removed before the
code is exchanged. Basic, bearer-token and no-auth templates connect at once after a test
request. One helpdesk at a time: connecting another template while one is connected is
refused (409).

Helpdesk requests never run inside a database transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.connector import Connector
from deskline.errors import ConfigurationError, HelpdeskError
from deskline.integration.callback import AuthorizationResult, OAuthCallback
from deskline.integration.connectors import ConnectorProvider
from deskline.integration.fields import split_fields
from deskline.integration.problems import IntegrationError
from deskline.integration.records import (
    ConnectionSecrets,
    ConnectionStatus,
    PendingAuthorization,
    connection_by_id,
    current_connection,
    read_secrets,
    write_secrets,
)
from deskline.integration.removal import DisconnectReport, remove_connection
from deskline.integration.template_source import LoadedTemplate, load_template
from deskline.store.db import Database
from deskline.store.models import HelpdeskConnection
from deskline.store.types import utcnow
from deskline.templates.model import AuthType, ScenarioId

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/callback"
AUTHORIZATION_TTL_SECONDS = 600.0
TEST_NUMBER = "+15550100000"  # a fictional number (555-01xx) for a connection test lookup


@dataclass(frozen=True)
class ConnectStart:
    """The answer to a connect: where to send the browser (OAuth2), or connected at once."""

    status: str
    redirect_uri: str
    authorization_url: str | None = None
    expires_in: int | None = None


class HelpdeskService:
    """The admin operations on the (single) helpdesk connection."""

    def __init__(
        self,
        db: Database,
        provider: ConnectorProvider,
        public_url: str,
        *,
        clock: Callable[[], float] = time.time,
        authorization_ttl_seconds: float = AUTHORIZATION_TTL_SECONDS,
    ) -> None:
        self.db = db
        self.provider = provider
        self.box = provider.box
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.authorization_ttl_seconds = authorization_ttl_seconds

    @property
    def redirect_uri(self) -> str:
        """The URI to register with the helpdesk's OAuth client."""
        return self.public_url + CALLBACK_PATH

    # --- connect -----------------------------------------------------------------------------

    async def connect(self, template_key: str, given: Mapping[str, object]) -> ConnectStart:
        async with self.db.read() as session:
            try:
                loaded = await load_template(session, template_key)
            except ConfigurationError as exc:
                raise IntegrationError(422, str(exc)) from None
            existing = await current_connection(session)
        self._refuse_second_helpdesk(existing, template_key)
        plain, secret = split_fields(loaded, given)
        if loaded.template.auth.method is AuthType.OAUTH2:
            return await self._start_authorization(loaded, plain, secret)
        return await self._connect_at_once(loaded, plain, secret)

    @staticmethod
    def _refuse_second_helpdesk(existing: HelpdeskConnection | None, template_key: str) -> None:
        if existing is None or existing.status == ConnectionStatus.AUTHORIZING:
            return
        if existing.template_key != template_key:
            raise IntegrationError(
                409,
                f"the helpdesk {existing.name!r} ({existing.template_key}) is connected; "
                "deskline works with one helpdesk at a time: disconnect it first",
            )

    async def _start_authorization(
        self, loaded: LoadedTemplate, plain: dict[str, str], secret: dict[str, str]
    ) -> ConnectStart:
        connection_id = await self._prepare_row(loaded, plain, secret)
        connector, _ = self.provider.build(loaded.template, {**plain, **secret}, connection_id)
        try:
            request = connector.authorize_url(self.redirect_uri)
        except ConfigurationError as exc:
            raise IntegrationError(422, f"the template cannot authorize: {exc}") from None
        finally:
            await connector.aclose()
        pending = PendingAuthorization(
            state=request.state,
            redirect_uri=self.redirect_uri,
            expires_at=self.clock() + self.authorization_ttl_seconds,
            verifier=request.code_verifier,
            fields={**plain, **secret},
        )
        async with self.db.transaction() as session:
            row = await connection_by_id(session, connection_id, for_update=True)
            if row is None:  # disconnected meanwhile
                raise IntegrationError(409, "the connection was removed meanwhile; start again")
            secrets = read_secrets(self.box, row)
            secrets.pending = pending
            write_secrets(self.box, row, secrets)
        return ConnectStart(
            status=row.status,
            redirect_uri=self.redirect_uri,
            authorization_url=request.url,
            expires_in=int(self.authorization_ttl_seconds),
        )

    async def _prepare_row(
        self, loaded: LoadedTemplate, plain: dict[str, str], secret: dict[str, str]
    ) -> int:
        """The row to authorize: a new one (status authorizing), or the connected one of the
        same template (re-authorization: its fields change only once the callback succeeds)."""
        async with self.db.transaction() as session:
            row = await current_connection(session, for_update=True)
            self._refuse_second_helpdesk(row, loaded.key)
            if row is not None and row.status == ConnectionStatus.AUTHORIZING:
                await remove_connection(session, row)
                row = None
            if row is None:
                row = await self._new_row(session, loaded, plain, secret)
            return row.id

    async def _new_row(
        self,
        session: AsyncSession,
        loaded: LoadedTemplate,
        plain: dict[str, str],
        secret: dict[str, str],
    ) -> HelpdeskConnection:
        """A connection row waiting for its authorization (or its test request)."""
        row = HelpdeskConnection(
            template_key=loaded.key,
            name=loaded.template.name or loaded.key,
            status=ConnectionStatus.AUTHORIZING.value,
            enabled=True,
            fields=plain,
            settings={},
        )
        write_secrets(self.box, row, ConnectionSecrets(fields=secret))
        session.add(row)
        await session.flush()
        return row

    async def _connect_at_once(
        self, loaded: LoadedTemplate, plain: dict[str, str], secret: dict[str, str]
    ) -> ConnectStart:
        async with self.db.transaction() as session:
            row = await current_connection(session, for_update=True)
            self._refuse_second_helpdesk(row, loaded.key)
            if row is None:
                row = await self._new_row(session, loaded, plain, secret)
            connection_id = row.id
        connector, _ = self.provider.build(loaded.template, {**plain, **secret}, connection_id)
        try:
            await self._test_request(connector)
        except HelpdeskError as exc:
            await self._drop_if_unconnected(connection_id)
            raise IntegrationError(502, f"the test request to the helpdesk failed: {exc}") from None
        finally:
            await connector.aclose()
        await self.mark_connected(connection_id, plain, secret)
        return ConnectStart(status=ConnectionStatus.CONNECTED.value, redirect_uri=self.redirect_uri)

    @staticmethod
    async def _test_request(connector: Connector) -> None:
        if _has_requests(connector, ScenarioId.USER_ASSOCIATION):
            await connector.fetch_users()
        elif _has_requests(connector, ScenarioId.SYNC_CONTACT_AUTO):
            await connector.lookup(TEST_NUMBER)
        else:
            log.info("template %s has nothing to test a connection with", connector.template.key)

    async def _drop_if_unconnected(self, connection_id: int) -> None:
        async with self.db.transaction() as session:
            row = await connection_by_id(session, connection_id, for_update=True)
            if row is not None and row.status == ConnectionStatus.AUTHORIZING:
                await remove_connection(session, row)

    async def mark_connected(
        self,
        connection_id: int,
        plain: dict[str, str],
        secret: dict[str, str],
    ) -> None:
        async with self.db.transaction() as session:
            row = await connection_by_id(session, connection_id, for_update=True)
            if row is None:
                raise IntegrationError(409, "the connection was removed meanwhile; start again")
            secrets = read_secrets(self.box, row)
            secrets.fields = dict(secret)
            write_secrets(self.box, row, secrets)
            row.fields = dict(plain)
            row.status = ConnectionStatus.CONNECTED.value
            row.status_detail = None
            row.connected_at = utcnow()
        await self.provider.forget(connection_id)

    # --- the OAuth callback ------------------------------------------------------------------

    async def complete_authorization(
        self,
        *,
        code: str | None,
        state: str | None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> AuthorizationResult:
        """The browser came back from the helpdesk: check ``state``, exchange ``code``."""
        return await OAuthCallback(self).complete(
            code=code, state=state, error=error, error_description=error_description
        )

    # --- status, disable, enable, disconnect -------------------------------------------------

    async def connection(self) -> HelpdeskConnection | None:
        async with self.db.read() as session:
            return await current_connection(session)

    async def set_enabled(self, enabled: bool) -> HelpdeskConnection:
        async with self.db.transaction() as session:
            row = await current_connection(session, for_update=True)
            if row is None or row.status == ConnectionStatus.AUTHORIZING:
                raise IntegrationError(409, "no helpdesk is connected")
            row.enabled = enabled
        await self.provider.forget(row.id)
        return row

    async def disconnect(self) -> DisconnectReport:
        """Forget the connection: tokens, settings, users, bindings, the contact index. The
        synced phonebook group keeps its contacts and becomes editable."""
        async with self.db.transaction() as session:
            row = await current_connection(session, for_update=True)
            if row is None:
                raise IntegrationError(409, "no helpdesk is connected")
            report = await remove_connection(session, row)
        await self.provider.forget(row.id)
        return report


def _has_requests(connector: Connector, scenario_id: ScenarioId) -> bool:
    scenario = connector.template.scenario(scenario_id)
    return scenario is not None and bool(scenario.requests)
