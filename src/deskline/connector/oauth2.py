"""OAuth2 endpoints of a template: the authorization URL, and the code and refresh requests.

Only the auth settings and the admin's custom fields go into these requests: the template's
default headers (PopulateTemplateString) are not sent on token requests (F17).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode

import httpx

from deskline.connector.requests import check_url
from deskline.connector.scope import Scope
from deskline.connector.tokens import OAuthTokens
from deskline.errors import ConfigurationError, HelpdeskAuthError, HelpdeskError
from deskline.templates.expressions import RenderMode
from deskline.templates.model import AuthSettings, HttpMethod, TokenContentType

CLIENT_ID_FIELD = "client_id"
CLIENT_SECRET_FIELD = "client_secret"
SCOPE_SEPARATOR_SETTING = "ScopeSeparator"
_RETRYABLE = frozenset({408, 425, 429})


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the admin's browser, and what to keep until the code comes back."""

    url: str
    state: str
    code_verifier: str | None = field(default=None, repr=False)


def new_state() -> str:
    return secrets.token_urlsafe(24)


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def scope_on_the_wire(scope: str, separator: str | None) -> str:
    """Scopes written comma-separated in the template, joined with ``separator`` (a space)."""
    parts = [p.strip() for p in scope.split(",") if p.strip()]
    return (separator if separator is not None else " ").join(parts)


class OAuth2Endpoints:
    """Builds the requests of the authorization-code flow from a template's auth settings."""

    def __init__(
        self,
        settings: AuthSettings,
        fields: Scope,
        clock: Callable[[], float],
        scope_separator: str | None = None,
    ) -> None:
        self.settings = settings
        self.fields = fields
        self.clock = clock
        self.scope_separator = scope_separator

    @property
    def can_refresh(self) -> bool:
        return bool(self.settings.refresh.endpoint or self.settings.token_endpoint)

    def _field(self, name: str) -> str | None:
        value = self.fields.values.get(name)
        return str(value) if value not in (None, "") else None

    def authorization_url(self, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        if not self.settings.auth_endpoint:
            raise ConfigurationError("the template has no AuthEndPoint")
        scope = self.fields.with_values({"RedirectUri": redirect_uri, "State": state})
        where = "AuthMethod, AuthEndPoint"
        url = scope.render(self.settings.auth_endpoint, RenderMode.URL, where).strip()
        check_url(url, where)
        extra = self.settings.additional_query_string
        if extra:
            rendered = scope.render(extra, RenderMode.URL, "AuthMethod, AdditionalQueryString")
            rendered = rendered.strip().lstrip("?&")
            if rendered:
                url += ("&" if "?" in url else "?") + rendered
        present = {k for k, _ in parse_qsl(httpx.URL(url).query.decode(), keep_blank_values=True)}
        wanted: list[tuple[str, str]] = [("response_type", "code")]
        if client_id := self._field(CLIENT_ID_FIELD):
            wanted.append(("client_id", client_id))
        wanted += [("redirect_uri", redirect_uri), ("state", state)]
        if self.settings.scope:
            wanted.append(("scope", scope_on_the_wire(self.settings.scope, self.scope_separator)))
        if code_challenge:
            wanted += [("code_challenge", code_challenge), ("code_challenge_method", "S256")]
        missing = [(k, v) for k, v in wanted if k not in present]
        if missing:
            url += ("&" if "?" in url else "?") + urlencode(missing, quote_via=quote)
        return url

    def code_request(self, code: str, redirect_uri: str, verifier: str | None) -> httpx.Request:
        if not self.settings.token_endpoint:
            raise ConfigurationError("the template has no TokenEndPoint")
        fields: dict[str, object] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        }
        self._add_client(fields)
        if verifier:
            fields["code_verifier"] = verifier
        url = self._url(self.settings.token_endpoint, "TokenEndPoint")
        return _token_request("POST", url, fields, self.settings.token_content_type)

    def client_credentials_request(self) -> httpx.Request:
        """bearer_token with a TokenEndPoint: a client-credentials grant (RFC 6749 4.4)."""
        if not self.settings.token_endpoint:
            raise ConfigurationError("the template has no TokenEndPoint")
        fields: dict[str, object] = {"grant_type": "client_credentials"}
        self._add_client(fields)
        if self.settings.scope:
            fields["scope"] = scope_on_the_wire(self.settings.scope, self.scope_separator)
        url = self._url(self.settings.token_endpoint, "TokenEndPoint")
        return _token_request("POST", url, fields, self.settings.token_content_type)

    def refresh_request(self, refresh_token: str) -> httpx.Request:
        refresh = self.settings.refresh
        endpoint = refresh.endpoint or self.settings.token_endpoint
        if not endpoint:
            raise ConfigurationError("the template has no RefreshTokenEndPoint or TokenEndPoint")
        url = self._url(endpoint, "RefreshTokenEndPoint")
        scope = self.fields.with_values({"RefreshToken": refresh_token})
        fields: dict[str, object]
        if refresh.body:
            fields = self._body_fields(refresh.body, scope, refresh.content_type)
        else:
            fields = {"grant_type": "refresh_token", "refresh_token": refresh_token}
            self._add_client(fields)
        return _token_request(refresh.method.value, url, fields, refresh.content_type)

    def _add_client(self, fields: dict[str, object]) -> None:
        for name in (CLIENT_ID_FIELD, CLIENT_SECRET_FIELD):
            if value := self._field(name):
                fields[name] = value

    def _url(self, template: str, setting: str) -> str:
        where = f"AuthMethod, {setting}"
        url = self.fields.render(template, RenderMode.URL, where).strip()
        check_url(url, where)
        return url

    @staticmethod
    def _body_fields(
        template: str, scope: Scope, content_type: TokenContentType
    ) -> dict[str, object]:
        where = "AuthMethod, RefreshTokenBody"
        if template.lstrip().startswith("{"):
            document = json.loads(scope.render(template, RenderMode.JSON, where))
            if not isinstance(document, dict):
                raise ConfigurationError(f"{where} must be a JSON object")
            return {str(k): v for k, v in document.items()}
        text = scope.render(template, RenderMode.URL, where).strip()
        return dict(parse_qsl(text, keep_blank_values=True))

    def parse_token_response(
        self, status: int, body: bytes, previous: OAuthTokens | None, what: str
    ) -> OAuthTokens:
        """The tokens of a successful answer; a refused grant raises :class:`HelpdeskAuthError`
        (the admin must authorize again), a temporary failure :class:`HelpdeskError` (retry)."""
        document = _token_document(body)
        if not 200 <= status < 300:
            error = str(document.get("error") or f"HTTP {status}")
            description = str(document.get("error_description") or "")[:200]
            message = f"{what} failed: {error}" + (f" ({description})" if description else "")
            if status in _RETRYABLE or status >= 500:
                raise HelpdeskError(message, outcome="retry", status_code=status)
            raise HelpdeskAuthError(message + "; authorize deskline again", status_code=status)
        access = document.get("access_token")
        if not isinstance(access, str) or not access:
            raise HelpdeskAuthError(f"{what}: the answer has no access_token", status_code=status)
        now = self.clock()
        expires_in = _number(document.get("expires_in"))
        refresh = document.get("refresh_token")
        tokens = OAuthTokens(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            token_type=str(document["token_type"]) if document.get("token_type") else None,
            obtained_at=now,
            expires_at=now + expires_in if expires_in else None,
            scope=str(document["scope"]) if document.get("scope") else None,
        )
        return tokens.with_refresh_token_kept(previous)


def _token_request(
    method: str, url: str, fields: Mapping[str, object], content_type: TokenContentType
) -> httpx.Request:
    headers = {"Accept": "application/json"}
    if content_type is TokenContentType.JSON and method != HttpMethod.GET:
        return httpx.Request(method, url, headers=headers, json=dict(fields))
    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
    if method == HttpMethod.GET:
        return httpx.Request(method, httpx.URL(url).copy_merge_params(flat), headers=headers)
    return httpx.Request(method, url, headers=headers, data=flat)


def _token_document(body: bytes) -> dict[str, object]:
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        document = dict(parse_qsl(body.decode("utf-8", "replace")))
    return document if isinstance(document, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return float(value) or None
    return None


def code_from_redirect(pasted: str, expected_state: str | None) -> str:
    """The authorization code from what the admin pasted: the code itself, or the whole
    redirect URL (its ``state`` must match; an ``error`` in it is reported)."""
    text = pasted.strip()
    if "://" not in text and "code=" not in text:
        if not text:
            raise HelpdeskAuthError("no authorization code given")
        return text
    query = httpx.URL(text).params if "://" in text else httpx.QueryParams(text.lstrip("?"))
    if error := query.get("error"):
        description = query.get("error_description") or ""
        raise HelpdeskAuthError(f"the helpdesk refused the authorization: {error} {description}")
    if expected_state is not None and query.get("state") != expected_state:
        raise HelpdeskAuthError("the state in the redirect URL does not match: start again")
    code = query.get("code")
    if not code:
        raise HelpdeskAuthError("the redirect URL has no code")
    return str(code)
