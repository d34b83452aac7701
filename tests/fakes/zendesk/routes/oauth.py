"""OAuth (§1.2-1.3): the consent page, the authorization redirect, and ``POST /oauth/tokens``
with the authorization_code (+PKCE S256), refresh_token (rotation) and client_credentials
grants. Error bodies follow RFC 6749 as Zendesk (Doorkeeper) words them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.zendesk.errors import ZendeskError
from tests.fakes.zendesk.oauth_state import (
    AuthorizationCode,
    OAuthClient,
    PendingConsent,
    TokenGrant,
    parse_scopes,
)
from tests.fakes.zendesk.routes.common import body_object, emulator_of, json_response
from tests.fakes.zendesk.routes.consent_page import consent_page, error_page

DENIED = "The end-user or authorization server denied the request."
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)
ACCESS_TTL_BOUNDS = (300, 172_800)
REFRESH_TTL_BOUNDS = (604_800, 7_776_000)


def oauth_error(status: int, error: str, description: str) -> ZendeskError:
    return ZendeskError(status, {"error": error, "error_description": description})


def _redirect(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v is not None]
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), 302)


async def authorize(request: Request) -> Response:
    emulator = emulator_of(request)
    q = request.query_params
    client = emulator.oauth.clients.get(q.get("client_id", ""))
    redirect_uri = q.get("redirect_uri", "")
    if client is None:
        return error_page("Invalid client: no OAuth client has this unique identifier.")
    if redirect_uri not in client.redirect_urls:
        return error_page("The redirect URL is not registered for this OAuth client.")
    state = q.get("state")

    def fail(error: str, description: str) -> Response:
        return _redirect(
            redirect_uri, {"error": error, "error_description": description, "state": state}
        )

    if q.get("response_type") != "code":
        return fail("unsupported_response_type", "Only response_type=code is supported.")
    challenge = q.get("code_challenge")
    if challenge is not None and q.get("code_challenge_method") != "S256":
        return fail("invalid_request", "code_challenge_method must be S256.")
    if client.kind == "public" and not challenge:
        return fail("invalid_request", "Public clients must use PKCE (code_challenge).")
    consent = PendingConsent(
        client.identifier, redirect_uri, q.get("scope") or "read", state, challenge
    )
    mode = emulator.config.consent_mode
    if mode == "auto-allow":
        return _allow(request, consent)
    if mode == "auto-deny":
        return fail("access_denied", DENIED)
    emulator.oauth.pending_consents[consent.id] = consent
    return consent_page(client, consent, emulator.config.subdomain)


async def decide(request: Request) -> Response:
    """The consent form's POST: ``consent_id`` and ``decision`` (allow | deny)."""
    emulator = emulator_of(request)
    form = await request.form()
    consent = emulator.oauth.pending_consents.pop(str(form.get("consent_id", "")), None)
    if consent is None:
        return error_page("This authorization request is unknown or was already answered.")
    if form.get("decision") == "allow":
        return _allow(request, consent)
    return _redirect(
        consent.redirect_uri,
        {
            "error": "access_denied",
            "error_description": DENIED,
            "state": consent.state,
        },
    )


def _allow(request: Request, consent: PendingConsent) -> Response:
    emulator = emulator_of(request)
    user = emulator.consent_user()
    if user is None:
        return _redirect(
            consent.redirect_uri,
            {
                "error": "server_error",
                "error_description": "No admin is signed in.",
                "state": consent.state,
            },
        )
    code = AuthorizationCode(
        consent.client_id,
        consent.redirect_uri,
        consent.scope,
        user.id,
        emulator.clock.now(),
        consent.code_challenge,
    )
    emulator.oauth.codes[code.code] = code
    return _redirect(consent.redirect_uri, {"code": code.code, "state": consent.state})


def _client_credentials(request: Request, params: dict[str, Any]) -> tuple[str, str | None]:
    """client_id and secret from the body, or from HTTP Basic (leniently)."""
    client_id, secret = params.get("client_id"), params.get("client_secret")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic ") and client_id is None:
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, secret = decoded.partition(":")
    return str(client_id or ""), (None if secret is None else str(secret))


def _seconds(params: dict[str, Any], key: str, bounds: tuple[int, int]) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise oauth_error(400, "invalid_request", f"{key} must be an integer number of seconds")
    low, high = bounds
    if not low <= value <= high:
        raise oauth_error(400, "invalid_request", f"{key} must be between {low} and {high}")
    return value


def _pkce_matches(verifier: object, challenge: str) -> bool:
    if not isinstance(verifier, str):
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(expected, challenge)


async def tokens(request: Request) -> Response:
    emulator = emulator_of(request)
    params = await body_object(request)  # JSON (documented) or form (lenient)
    grant_type = params.get("grant_type")
    if grant_type not in ("authorization_code", "refresh_token", "client_credentials"):
        raise oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    client_id, secret = _client_credentials(request, params)
    client = emulator.oauth.clients.get(client_id)
    if client is None or (secret is not None and not hmac.compare_digest(secret, client.secret)):
        raise oauth_error(401, "invalid_client", INVALID_CLIENT)
    access_ttl = _seconds(params, "expires_in", ACCESS_TTL_BOUNDS)
    refresh_ttl = _seconds(params, "refresh_token_expires_in", REFRESH_TTL_BOUNDS)
    if access_ttl is not None and refresh_ttl is not None and access_ttl >= refresh_ttl:
        raise oauth_error(
            400, "invalid_request", "expires_in must be less than refresh_token_expires_in"
        )
    if grant_type == "authorization_code":
        grant = _code_grant(request, client, params, secret)
    elif grant_type == "refresh_token":
        grant = _refresh_grant(request, client, params, secret)
    else:
        if client.kind != "confidential" or secret is None:
            raise oauth_error(401, "invalid_client", INVALID_CLIENT)
        user = emulator.consent_user()
        if user is None:
            raise oauth_error(400, "invalid_grant", "The client's owner is not an admin.")
        scope = params.get("scope", "read")
        grant = TokenGrant(
            client.identifier,
            user.id,
            scope if isinstance(scope, str) else json.dumps(scope),
            parse_scopes(scope),
        )
    return _issue(
        request, grant, access_ttl, refresh_ttl, with_refresh=grant_type != "client_credentials"
    )


def _code_grant(
    request: Request, client: OAuthClient, params: dict[str, Any], secret: str | None
) -> TokenGrant:
    emulator = emulator_of(request)
    code = emulator.oauth.codes.get(str(params.get("code", "")))
    if code is None or code.client_id != client.identifier:
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    if code.code_challenge is None and secret is None:
        raise oauth_error(401, "invalid_client", INVALID_CLIENT)
    del emulator.oauth.codes[code.code]  # single use, even when the exchange fails below
    expired = emulator.clock.now() >= code.issued_at + emulator.config.authorization_code_ttl
    if expired or params.get("redirect_uri") != code.redirect_uri:
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    if code.code_challenge is not None and not _pkce_matches(
        params.get("code_verifier"), code.code_challenge
    ):
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    return TokenGrant(client.identifier, code.user_id, code.scope, parse_scopes(code.scope))


def _refresh_grant(
    request: Request, client: OAuthClient, params: dict[str, Any], secret: str | None
) -> TokenGrant:
    emulator = emulator_of(request)
    if client.kind == "confidential" and secret is None:
        raise oauth_error(401, "invalid_client", INVALID_CLIENT)
    old = emulator.oauth.refresh_tokens.get(str(params.get("refresh_token", "")))
    if old is None or old.grant.client_id != client.identifier:
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    if old.expires_at <= emulator.clock.now():
        emulator.oauth.rotate(old)
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    emulator.oauth.rotate(old)  # the previous access AND refresh tokens are deleted
    return old.grant


def _issue(
    request: Request,
    grant: TokenGrant,
    access_ttl: int | None,
    refresh_ttl: int | None,
    *,
    with_refresh: bool,
) -> Response:
    emulator = emulator_of(request)
    config = emulator.config
    access_seconds = None if config.expires_in_null else (access_ttl or config.access_token_ttl)
    refresh_seconds = refresh_ttl or config.refresh_token_ttl
    issue_refresh = with_refresh and not config.omit_refresh_token
    access, refresh = emulator.oauth.issue_tokens(
        grant, access_seconds, refresh_seconds if issue_refresh else None, emulator.clock.now()
    )
    body: dict[str, Any] = {
        "access_token": access.token,
        "token_type": "bearer",
        "scope": grant.scope,
        "expires_in": access_seconds,
    }
    if refresh is not None:
        body["refresh_token"] = refresh.token
        body["refresh_token_expires_in"] = refresh_seconds
    return json_response(body, 201, {"Cache-Control": "no-store", "Pragma": "no-cache"})


routes = [
    Route("/oauth/authorizations/new", authorize, methods=["GET"]),
    Route("/oauth/authorizations", decide, methods=["POST"]),
    Route("/oauth/tokens", tokens, methods=["POST"]),
]
