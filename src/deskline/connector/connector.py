"""The connector of one connected helpdesk: a template, the admin's field values, tokens.

::

    async with Connector(template, {"subdomain": "acme", ...}, token_store) as desk:
        request = desk.authorize_url("https://deskline.example/oauth/callback")
        tokens = await desk.exchange_code(code, request_redirect_uri, request.code_verifier)
        found = await desk.lookup("+15551234567")       # ScenarioResult with .contacts
        users = await desk.fetch_users()                # ScenarioResult with .users

Failures raise :class:`~deskline.errors.HelpdeskError` carrying the request's ``outcome``
("retry", "fail", "reauthenticate") and ``retry_after``; :class:`HelpdeskAuthError` means the
admin must authorize again; :class:`TemplateRenderError` that a value could not be placed
safely (nothing was sent).

With ``budget=`` (a :class:`~deskline.budget.RequestBudget`) every request waits for the
connection's budget; each scenario method takes ``priority=`` (a
:class:`~deskline.budget.Priority`; default: the one set by
:func:`~deskline.budget.request_priority`, else JOURNAL) and may raise
:class:`~deskline.budget.BudgetExhausted` (nothing sent: reschedule). Every request sent is
counted in ``deskline_helpdesk_requests_total{scenario,outcome,status}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, tzinfo
from types import TracebackType

import httpx

from deskline.budget import Priority, RequestBudget, request_priority
from deskline.connector.auth import Base64CredentialAuth, BearerTokenAuth, OAuth2Auth
from deskline.connector.client import ClientLimits, HelpdeskClient
from deskline.connector.exchange import Exchange, LogSink
from deskline.connector.follow_up import FollowUpRunner
from deskline.connector.masking import Masker
from deskline.connector.oauth2 import (
    SCOPE_SEPARATOR_SETTING,
    AuthorizationRequest,
    OAuth2Endpoints,
    new_state,
    pkce_pair,
)
from deskline.connector.outcome import OutcomeTable
from deskline.connector.results import DRY_RUN, SKIPPED, RequestLogEntry, ScenarioResult
from deskline.connector.runner import ScenarioRunner
from deskline.connector.scope import Scope
from deskline.connector.tokens import MemoryTokenStore, OAuthTokens, TokenStore
from deskline.errors import ConfigurationError, HelpdeskError
from deskline.observability.metrics import count_helpdesk_request
from deskline.templates.expressions import RenderMode
from deskline.templates.model import (
    AuthType,
    CredentialType,
    Editor,
    FollowUpTrigger,
    HelpdeskTemplate,
    ScenarioId,
)

ACCESS_TOKEN = "AccessToken"
#: CallJournalCheck's Output: one record (a filled id) per journal entry on the ticket
JOURNAL_ENTRY_OUTPUT = "JournalEntryId"
_DEFAULT_CREDENTIAL = {
    CredentialType.USERNAME_PASSWORD: "{{.username}}:{{.password}}",
    CredentialType.API_KEY: "{{.api_key}}",
}


class Connector:
    """Runs a template's scenarios against the helpdesk it describes.

    ``request_details``: the log's entries carry each request's headers and body, masked
    (``deskline template try`` prints them). The pipeline's connectors leave them out: its
    request log keeps the URL, status and outcome, and masking them was wasted work on every
    request."""

    def __init__(
        self,
        template: HelpdeskTemplate,
        field_values: Mapping[str, str],
        token_store: TokenStore | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        limits: ClientLimits | None = None,
        clock: Callable[[], float] = time.time,
        tz: tzinfo = UTC,
        on_request: LogSink | None = None,
        dry_run: bool = False,
        budget: RequestBudget | None = None,
        request_details: bool = True,
    ) -> None:
        self.template = template
        self.settings = template.auth
        self.dry_run = dry_run
        self._fields = self._field_values(field_values)
        self.masker = Masker(
            self._fields.get(f.name) for f in template.custom_fields if f.editor is Editor.PASSWORD
        )
        self.token_store: TokenStore = token_store or MemoryTokenStore()
        self.client = HelpdeskClient(
            template.max_concurrent_requests, http_client, limits, budget=budget
        )
        self.exchange = Exchange(
            self.client,
            OutcomeTable(template),
            self.masker,
            clock,
            _counted(on_request),
            dry_run,
            details=request_details,
        )
        self._clock = clock
        self._tz = tz
        self.endpoints = OAuth2Endpoints(
            self.settings, self.field_scope(), clock, self._scope_separator()
        )
        self._fetched_bearer: str | None = None
        self.follow_ups = FollowUpRunner(template, self.exchange, self._follow_up_auth)
        self.auth = self._build_auth()
        self.runner = ScenarioRunner(template, self.exchange, self.auth, template.default_headers)
        self._after_auth_done = False
        self._refreshes_seen = 0

    def __repr__(self) -> str:
        return f"Connector({self.template.key!r}, auth={self.settings.method.value})"

    async def __aenter__(self) -> Connector:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    # --- configuration -----------------------------------------------------------------------

    def _field_values(self, given: Mapping[str, str]) -> dict[str, str]:
        values = dict(given)
        missing = []
        for field in self.template.custom_fields:
            if not values.get(field.name):
                if field.default:
                    values[field.name] = field.default
                elif field.required and field.name != ACCESS_TOKEN:
                    missing.append(f"{field.name} ({field.title})" if field.title else field.name)
        if missing:
            raise ConfigurationError("missing values for the fields " + ", ".join(missing))
        return values

    def field_scope(self) -> Scope:
        """The admin's field values and the template's root parameters (trusted)."""
        constants = {p.name: p.value or "" for p in self.template.parameters if p.name}
        return Scope(
            {**constants, **self._fields}, frozenset(constants) | frozenset(self._fields), self._tz
        )

    def _scope_separator(self) -> str | None:
        scenario = self.template.scenario(ScenarioId.AUTH_METHOD)
        return scenario.setting(SCOPE_SEPARATOR_SETTING) if scenario else None

    def _build_auth(self) -> httpx.Auth | None:
        codes = [
            e.code for e in self.settings.token_errors if e.meaning == "TokenInvalid" and e.code
        ]
        method = self.settings.method
        if method is AuthType.BASIC:
            credential_type = self.settings.credential_type or CredentialType.USERNAME_PASSWORD
            source = self.settings.base64_encoded_credential or _DEFAULT_CREDENTIAL[credential_type]
            credential = self.field_scope().render(
                source, RenderMode.TEXT, "AuthMethod, Base64EncodedCredential"
            )
            return Base64CredentialAuth(credential)
        if method is AuthType.BEARER_TOKEN:
            renew = self._renew_bearer if self._bearer_renewable() else None
            return BearerTokenAuth(self.settings.token_type, self._bearer_token, renew, codes)
        if method is AuthType.OAUTH2:
            return OAuth2Auth(self.settings, self.endpoints, self.token_store, self._clock, codes)
        return None

    # --- OAuth2 ------------------------------------------------------------------------------

    def authorize_url(
        self, redirect_uri: str, state: str | None = None, pkce: bool | None = None
    ) -> AuthorizationRequest:
        """The URL to send the admin's browser to; keep ``state`` and ``code_verifier``."""
        state = state or new_state()
        use_pkce = (self.settings.pkce or "").upper() == "S256" if pkce is None else pkce
        verifier, challenge = pkce_pair() if use_pkce else (None, None)
        url = self.endpoints.authorization_url(redirect_uri, state, challenge)
        return AuthorizationRequest(url, state, verifier)

    async def exchange_code(
        self, code: str, redirect_uri: str, verifier: str | None = None
    ) -> OAuthTokens:
        """Trades the authorization code for tokens, saves them, runs after_auth follow-ups."""
        if not isinstance(self.auth, OAuth2Auth):
            raise ConfigurationError("the template does not use OAuth2")
        raw = await self.client.send(
            self.endpoints.code_request(code, redirect_uri, verifier), auth=None
        )
        tokens = self.endpoints.parse_token_response(
            raw.status, raw.body, None, "exchanging the authorization code"
        )
        self.masker.add([tokens.access_token, tokens.refresh_token])
        await self.auth.adopt(tokens)
        log: list[RequestLogEntry] = []
        await self.follow_ups.run(FollowUpTrigger.AFTER_AUTH, await self.base_scope(), log)
        self._after_auth_done = True
        return tokens

    # --- bearer tokens -----------------------------------------------------------------------

    def _bearer_token(self) -> str | None:
        token = self.follow_ups.values.get(ACCESS_TOKEN)
        return str(token) if token else (self._fields.get(ACCESS_TOKEN) or self._fetched_bearer)

    def _bearer_renewable(self) -> bool:
        has_login = bool(self.template.follow_up_requests(FollowUpTrigger.AFTER_AUTH))
        return has_login or bool(self.settings.token_endpoint)

    async def _renew_bearer(self) -> None:
        """A new bearer token: the after_auth login again, or a client-credentials grant."""
        if self.template.follow_up_requests(FollowUpTrigger.AFTER_AUTH):
            await self.follow_ups.run(FollowUpTrigger.AFTER_AUTH, await self.base_scope(), [])
        else:
            # not through HelpdeskClient.send: this runs inside a request's concurrency slot
            try:
                answer = await self.client.http.send(self.endpoints.client_credentials_request())
            except httpx.TransportError as exc:
                raise HelpdeskError(f"fetching an access token: {exc}", outcome="retry") from None
            tokens = self.endpoints.parse_token_response(
                answer.status_code, answer.content, None, "fetching an access token"
            )
            await self.token_store.save(tokens)
            self._fetched_bearer = tokens.access_token
        self.masker.add([self._bearer_token()])

    def _follow_up_auth(self) -> httpx.Auth | None:
        if isinstance(self.auth, BearerTokenAuth):
            token = self._bearer_token()
            return BearerTokenAuth(self.settings.token_type, lambda: token, None) if token else None
        return self.auth

    # --- scenarios ---------------------------------------------------------------------------

    async def base_scope(self) -> Scope:
        """Fields (trusted), follow-up variables and the access token (untrusted)."""
        token: str | None = None
        if isinstance(self.auth, OAuth2Auth) and not self.dry_run:
            token = (await self.auth.current_tokens()).access_token
        elif isinstance(self.auth, BearerTokenAuth):
            token = self._bearer_token()
        self.masker.add([token])
        values: dict[str, object] = {**self.follow_ups.values}
        values[ACCESS_TOKEN] = token or ""
        return self.field_scope().with_values(values)

    async def run(
        self,
        scenario_id: ScenarioId | str,
        variables: Mapping[str, object] | None = None,
        *,
        settings: Mapping[str, str] | None = None,
        requests: Sequence[str] | None = None,
        priority: Priority | None = None,
    ) -> ScenarioResult:
        """Runs one scenario (see :class:`ScenarioRunner`); its requests wait for the budget
        at ``priority`` (``None``: the current :func:`request_priority`, else JOURNAL)."""
        with request_priority(priority):
            return await self._run(scenario_id, variables, settings=settings, requests=requests)

    async def _run(
        self,
        scenario_id: ScenarioId | str,
        variables: Mapping[str, object] | None,
        *,
        settings: Mapping[str, str] | None,
        requests: Sequence[str] | None,
    ) -> ScenarioResult:
        log: list[RequestLogEntry] = []
        if not self.dry_run:
            await self._run_follow_ups(log)
        result = await self.runner.run(
            str(scenario_id),
            await self.base_scope(),
            variables or {},
            settings=settings,
            requests=requests,
        )
        result.log[:0] = log
        if not self.dry_run:
            await self._after_refresh(result.log)
        return result

    async def _run_follow_ups(self, log: list[RequestLogEntry]) -> None:
        if not self._after_auth_done:
            self._after_auth_done = True
            if self.follow_ups.has(FollowUpTrigger.AFTER_AUTH):
                await self.follow_ups.run(FollowUpTrigger.AFTER_AUTH, await self.base_scope(), log)
        await self._after_refresh(log)
        if self.follow_ups.has(FollowUpTrigger.BEFORE_REQUEST):
            await self.follow_ups.run(FollowUpTrigger.BEFORE_REQUEST, await self.base_scope(), log)

    async def _after_refresh(self, log: list[RequestLogEntry]) -> None:
        if not isinstance(self.auth, OAuth2Auth) or self.auth.refresh_count == self._refreshes_seen:
            return
        self._refreshes_seen = self.auth.refresh_count
        if self.follow_ups.has(FollowUpTrigger.TOKEN_REFRESHED):
            await self.follow_ups.run(FollowUpTrigger.TOKEN_REFRESHED, await self.base_scope(), log)

    async def fetch_users(self, *, priority: Priority | None = None) -> ScenarioResult:
        """UserAssociation, paged: ``result.users``."""
        return await self.run(ScenarioId.USER_ASSOCIATION, priority=priority)

    async def lookup(
        self,
        phone: str,
        variables: Mapping[str, object] | None = None,
        *,
        priority: Priority | None = None,
    ) -> ScenarioResult:
        """SyncContactAuto for ``phone`` (every contact type): ``result.contacts``."""
        base = {"Phone": phone, "CallerNumber": phone}
        return await self.run(
            ScenarioId.SYNC_CONTACT_AUTO, {**base, **(variables or {})}, priority=priority
        )

    async def search(self, value: str, *, priority: Priority | None = None) -> ScenarioResult:
        """SearchContact, the agent's manual search: ``result.contacts``."""
        return await self.run(
            ScenarioId.SEARCH_CONTACT, {"SearchValue": value, "Phone": value}, priority=priority
        )

    async def refresh_index(
        self,
        cursor: str | None,
        *,
        start_time: int,
        page_size: int,
        priority: Priority | None = None,
    ) -> ScenarioResult:
        """IndexRefresh, one page of the helpdesk's incremental contact export from ``cursor``
        (first run: the contacts changed since ``start_time``): ``result.contacts`` and, in
        ``result.response_values``, ``Cursor`` (where the next run continues) and
        ``EndOfStream``."""
        variables = {"Cursor": cursor or "", "StartTime": start_time, "PageSize": page_size}
        return await self.run(ScenarioId.INDEX_REFRESH, variables, priority=priority)

    async def create_contact(
        self,
        first_name: str,
        last_name: str,
        number: str,
        *,
        contact_type: str | None = None,
        variables: Mapping[str, object] | None = None,
        priority: Priority | None = None,
    ) -> ScenarioResult:
        """CreateNewContact with the chosen contact type (default: the first)."""
        display = " ".join(p for p in (first_name, last_name) if p) or number
        base: dict[str, object] = {
            "FirstName": first_name,
            "LastName": last_name,
            "BusinessNumber": number,
            "Phone": number,
            "CallerNumber": number,
            "DisplayName": display,
            "ContactType": contact_type or "",
        }
        return await self.run(
            ScenarioId.CREATE_NEW_CONTACT,
            {**base, **(variables or {})},
            requests=[contact_type] if contact_type else None,
            priority=priority,
        )

    async def create_ticket(
        self,
        variables: Mapping[str, object],
        settings: Mapping[str, str] | None = None,
        *,
        priority: Priority | None = None,
    ) -> ScenarioResult:
        """CreateNewTicket; ``settings`` may replace the Subject/Description templates."""
        return await self.run(
            ScenarioId.CREATE_NEW_TICKET, variables, settings=settings, priority=priority
        )

    async def log_call(
        self,
        variables: Mapping[str, object],
        settings: Mapping[str, str] | None = None,
        *,
        priority: Priority | None = None,
    ) -> ScenarioResult:
        """CallJournal; ``settings`` may replace the Subject/Description templates."""
        return await self.run(
            ScenarioId.CALL_JOURNAL, variables, settings=settings, priority=priority
        )

    @property
    def checks_journal(self) -> bool:
        """The template can list the call journal entries already on a ticket."""
        return self.template.scenario(ScenarioId.CALL_JOURNAL_CHECK) is not None

    async def journal_entries_on_ticket(
        self, variables: Mapping[str, object], *, priority: Priority | None = None
    ) -> int:
        """CallJournalCheck: how many call journal entries of this call the ticket holds
        (the records whose ``JournalEntryId`` output is filled)."""
        result = await self.run(ScenarioId.CALL_JOURNAL_CHECK, variables, priority=priority)
        return sum(1 for record in result.records if record.get(JOURNAL_ENTRY_OUTPUT))


def _counted(sink: LogSink | None) -> LogSink:
    """``sink``, after counting each request that was really sent (not skipped or dry runs)."""

    def record(entry: RequestLogEntry) -> None:
        if entry.outcome not in (SKIPPED, DRY_RUN):
            count_helpdesk_request(entry.scenario_id, entry.outcome, entry.status)
        if sink is not None:
            sink(entry)

    return record
