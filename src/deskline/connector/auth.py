"""The template's auth methods as ``httpx.Auth`` flows.

* ``none``: nothing is added.
* ``basic``: the ``Base64EncodedCredential`` format (``{{.username}}:{{.password}}`` or
  ``{{.api_key}}``) rendered with the custom fields, Base64-encoded into
  ``Authorization: Basic …``.
* ``bearer_token``: ``Authorization: <TokenType> <AccessToken>``, the token coming from a custom
  field or a follow-up request; on a rejection the follow-up login runs once and the request
  is resent.
* ``oauth2``: the stored access token; refreshed on the configured interval (or before it
  expires), and once when the helpdesk rejects it (401, or the TokenInvalid error code), then
  the request is resent. One refresh runs at a time per connection; the new tokens are saved
  to the :class:`TokenStore` before they are used.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence

import httpx

from deskline.connector.oauth2 import OAuth2Endpoints
from deskline.connector.outcome import body_has_error_code
from deskline.connector.tokens import OAuthTokens, TokenStore
from deskline.crypto import mask
from deskline.errors import HelpdeskAuthError
from deskline.templates.model import AuthSettings

#: a token this close to its expiry is refreshed before use
EXPIRY_MARGIN_SECONDS = 60.0
_MAX_ERROR_BODY_TO_INSPECT = 64 * 1024


async def token_rejected(response: httpx.Response, codes: Sequence[str]) -> bool:
    """A 401, or an error response that carries one of the TokenInvalid ``codes``."""
    if response.status_code == 401:
        return True
    if not codes or response.status_code < 400:
        return False
    length = response.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > _MAX_ERROR_BODY_TO_INSPECT):
        return False
    body = await response.aread()
    return body_has_error_code(body[:_MAX_ERROR_BODY_TO_INSPECT], codes) is not None


class Base64CredentialAuth(httpx.Auth):
    """``Authorization: Basic <base64 of the rendered credential>``."""

    def __init__(self, credential: str) -> None:
        self._header = "Basic " + base64.b64encode(credential.encode("utf-8")).decode("ascii")

    def __repr__(self) -> str:
        return "Base64CredentialAuth(<hidden>)"

    def preview(self) -> str:
        return "Basic ****"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class BearerTokenAuth(httpx.Auth):
    """``Authorization: <TokenType> <token>``; ``renew`` (a follow-up login) runs when there
    is no token yet and once when the helpdesk rejects the token."""

    def __init__(
        self,
        token_type: str,
        token: Callable[[], str | None],
        renew: Callable[[], Awaitable[None]] | None,
        invalid_codes: Sequence[str] = (),
    ) -> None:
        self._token_type = token_type
        self._token = token
        self._renew = renew
        self._codes = tuple(invalid_codes)
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return "BearerTokenAuth(<hidden>)"

    def preview(self) -> str:
        return f"{self._token_type} {mask(self._token()) or '(none yet)'}"

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used = self._token()
        if not used and self._renew is not None:
            used = await self._renewed(used)
        if not used:
            raise HelpdeskAuthError("no access token: fill in the AccessToken field or log in")
        request.headers["Authorization"] = f"{self._token_type} {used}"
        response = yield request
        if self._renew is not None and await token_rejected(response, self._codes):
            fresh = await self._renewed(used)
            if fresh and fresh != used:
                request.headers["Authorization"] = f"{self._token_type} {fresh}"
                yield request

    async def _renewed(self, used: str | None) -> str | None:
        async with self._lock:
            if self._token() == used and self._renew is not None:
                await self._renew()
            return self._token()


class OAuth2Auth(httpx.Auth):
    """The authorization-code flow's tokens on every request, refreshed when due or rejected."""

    def __init__(
        self,
        settings: AuthSettings,
        endpoints: OAuth2Endpoints,
        store: TokenStore,
        clock: Callable[[], float],
        invalid_codes: Sequence[str] = (),
    ) -> None:
        self._settings = settings
        self._endpoints = endpoints
        self._store = store
        self._clock = clock
        self._codes = tuple(invalid_codes)
        self._tokens: OAuthTokens | None = None
        self._lock = asyncio.Lock()
        #: how many refreshes happened (the connector runs token_refreshed follow-ups)
        self.refresh_count = 0

    def __repr__(self) -> str:
        return f"OAuth2Auth(tokens={self._tokens!r})"

    def preview(self) -> str:
        token = self._tokens.access_token if self._tokens else None
        return f"{self._settings.token_type or 'Bearer'} {mask(token) or '(not loaded)'}"

    async def current_tokens(self) -> OAuthTokens:
        if self._tokens is None:
            self._tokens = await self._store.load()
        if self._tokens is None:
            raise HelpdeskAuthError("not authorized yet: run the OAuth2 authorization first")
        return self._tokens

    async def adopt(self, tokens: OAuthTokens) -> None:
        """New tokens (from a code exchange): saved first, then used."""
        await self._store.save(tokens)
        self._tokens = tokens

    def refresh_due(self, tokens: OAuthTokens) -> bool:
        if not tokens.refresh_token or not self._endpoints.can_refresh:
            return False
        if self._settings.no_need_refresh_access_token:
            return False
        interval = self._settings.refresh.interval_minutes
        if not interval:
            return False  # RefreshTokenInterval="0": never on a timer (a rejection still refreshes)
        now = self._clock()
        if now - tokens.obtained_at >= interval * 60:
            return True
        return tokens.expires_at is not None and now >= tokens.expires_at - EXPIRY_MARGIN_SECONDS

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = await self.current_tokens()
        if self.refresh_due(tokens):
            async with self._lock:
                latest = await self.current_tokens()
                if latest.access_token == tokens.access_token:
                    answer = yield self._refresh_request(latest)
                    latest = await self._accept(answer, latest)
                tokens = latest
        request.headers["Authorization"] = self._header(tokens)
        response = yield request
        if not await token_rejected(response, self._codes):
            return
        if not tokens.refresh_token or not self._endpoints.can_refresh:
            return  # the outcome table turns the rejection into HelpdeskAuthError
        async with self._lock:
            latest = await self.current_tokens()
            if latest.access_token == tokens.access_token:
                answer = yield self._refresh_request(latest)
                latest = await self._accept(answer, latest)
        request.headers["Authorization"] = self._header(latest)
        yield request

    def _header(self, tokens: OAuthTokens) -> str:
        return f"{self._settings.token_type or 'Bearer'} {tokens.access_token}"

    def _refresh_request(self, tokens: OAuthTokens) -> httpx.Request:
        assert tokens.refresh_token is not None
        return self._endpoints.refresh_request(tokens.refresh_token)

    async def _accept(self, answer: httpx.Response, previous: OAuthTokens) -> OAuthTokens:
        body = await answer.aread()
        fresh = self._endpoints.parse_token_response(
            answer.status_code, body, previous, "refreshing the access token"
        )
        await self._store.save(fresh)  # before use: the old pair may already be gone
        self._tokens = fresh
        self.refresh_count += 1
        return fresh
