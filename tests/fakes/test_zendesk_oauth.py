# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""OAuth against the Zendesk emulator over real HTTP: consent, codes, PKCE, tokens, rotation,
expiry, scopes, API tokens (helpdesk-apis.md §1.2-1.3)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.fakes.zendesk import ManualClock, RunningEmulator
from tests.fakes.zendesk.errors import INVALID_TOKEN_DESCRIPTION
from tests.fakes.zendesk.testing import (  # noqa: F401
    REDIRECT_URI,
    api_token_auth,
    authorization_code,
    authorize_params,
    bearer,
    clock,
    http,
    obtain_tokens,
    pkce_pair,
    redirect_query,
    seed_account,
    zendesk,
    zendesk_server,
)

INVALID_TOKEN_BODY = {"error": "invalid_token", "error_description": INVALID_TOKEN_DESCRIPTION}


def _code_exchange(
    http: httpx.Client, zendesk: RunningEmulator, code: str, verifier: str, **extra: object
) -> httpx.Response:
    secret = zendesk.emulator.oauth.clients["deskline"].secret
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": "deskline",
        "client_secret": secret,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    } | extra
    return http.post("/oauth/tokens", json=body)


def test_consent_page_allow_then_pkce_exchange_gives_working_tokens(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    account = seed_account(zendesk.emulator, kind="public")
    verifier, challenge = pkce_pair()
    page = http.get(
        "/oauth/authorizations/new",
        params=authorize_params(code_challenge=challenge, code_challenge_method="S256"),
    )
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert 'value="allow"' in page.text and 'value="deny"' in page.text
    consent_id = re.search(r'name="consent_id" value="([^"]+)"', page.text)
    assert consent_id is not None
    # what a browser does when the admin clicks "Allow"
    allowed = http.post(
        "/oauth/authorizations", data={"consent_id": consent_id.group(1), "decision": "allow"}
    )
    query = redirect_query(allowed)
    assert query["state"] == "opaque-state"

    tokens = http.post(
        "/oauth/tokens",
        json={
            "grant_type": "authorization_code",
            "code": query["code"],
            "client_id": "deskline",
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 201
    body = tokens.json()
    assert body["token_type"] == "bearer"
    assert body["scope"] == "read write"
    assert body["expires_in"] == 1800
    assert body["refresh_token_expires_in"] == 2_592_000
    me = http.get(f"/api/v2/users/{account.admin.id}.json", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["user"]["email"] == "kristin@acme.test"


def test_deny_redirects_with_access_denied(zendesk: RunningEmulator, http: httpx.Client) -> None:
    seed_account(zendesk.emulator)
    zendesk.emulator.configure(consent_mode="auto-deny")
    query = redirect_query(http.get("/oauth/authorizations/new", params=authorize_params()))
    assert query["error"] == "access_denied"
    assert query["error_description"]
    assert query["state"] == "opaque-state"
    assert "code" not in query


def test_unregistered_redirect_uri_is_refused_without_redirect(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    seed_account(zendesk.emulator)
    params = authorize_params() | {"redirect_uri": "https://evil.example/cb"}
    response = http.get("/oauth/authorizations/new", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_public_client_without_pkce_gets_invalid_request(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    seed_account(zendesk.emulator, kind="public")
    zendesk.emulator.configure(consent_mode="auto-allow")
    query = redirect_query(http.get("/oauth/authorizations/new", params=authorize_params()))
    assert query["error"] == "invalid_request"


def test_code_expires_after_120_seconds(
    zendesk: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    seed_account(zendesk.emulator)
    zendesk.emulator.configure(consent_mode="auto-allow")
    verifier, challenge = pkce_pair()
    code = authorization_code(http, challenge)
    clock.advance(120)
    response = _code_exchange(http, zendesk, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_is_valid_just_before_expiry_and_only_once(
    zendesk: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    seed_account(zendesk.emulator)
    zendesk.emulator.configure(consent_mode="auto-allow")
    verifier, challenge = pkce_pair()
    code = authorization_code(http, challenge)
    clock.advance(119)
    assert _code_exchange(http, zendesk, code, verifier).status_code == 201
    reused = _code_exchange(http, zendesk, code, verifier)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_wrong_pkce_verifier_is_invalid_grant(zendesk: RunningEmulator, http: httpx.Client) -> None:
    seed_account(zendesk.emulator)
    zendesk.emulator.configure(consent_mode="auto-allow")
    _, challenge = pkce_pair()
    code = authorization_code(http, challenge)
    response = _code_exchange(http, zendesk, code, "not-the-verifier-" + "x" * 40)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_wrong_secret_is_invalid_client(zendesk: RunningEmulator, http: httpx.Client) -> None:
    seed_account(zendesk.emulator)
    zendesk.emulator.configure(consent_mode="auto-allow")
    verifier, challenge = pkce_pair()
    code = authorization_code(http, challenge)
    response = _code_exchange(http, zendesk, code, verifier, client_secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "error_description" in response.json()
    # a wrong secret does not burn the code
    assert _code_exchange(http, zendesk, code, verifier).status_code == 201


def test_refresh_rotates_and_deletes_the_previous_pair(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    account = seed_account(zendesk.emulator)
    first = obtain_tokens(http, zendesk.emulator)
    refreshed = http.post(
        "/oauth/tokens",
        json={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": "deskline",
            "client_secret": account.client.secret,
        },
    )
    assert refreshed.status_code == 201
    second = refreshed.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    url = f"/api/v2/users/{account.admin.id}"
    old = http.get(url, headers=bearer(first["access_token"]))
    assert old.status_code == 401
    assert old.json() == INVALID_TOKEN_BODY
    assert http.get(url, headers=bearer(second["access_token"])).status_code == 200
    again = http.post(
        "/oauth/tokens",
        json={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": "deskline",
            "client_secret": account.client.secret,
        },
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_access_token_expires_with_the_documented_401_body(
    zendesk: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    account = seed_account(zendesk.emulator)
    tokens = obtain_tokens(http, zendesk.emulator, expires_in=600)
    assert tokens["expires_in"] == 600
    url = f"/api/v2/users/{account.admin.id}.json"
    clock.advance(599)
    assert http.get(url, headers=bearer(tokens["access_token"])).status_code == 200
    clock.advance(1)
    expired = http.get(url, headers=bearer(tokens["access_token"]))
    assert expired.status_code == 401
    assert expired.json() == INVALID_TOKEN_BODY


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"expires_in": 299}, "expires_in"),
        ({"expires_in": 172_801}, "expires_in"),
        ({"refresh_token_expires_in": 7_776_001}, "refresh_token_expires_in"),
    ],
)
def test_lifetimes_out_of_bounds_are_refused(
    zendesk: RunningEmulator, http: httpx.Client, extra: dict[str, int], problem: str
) -> None:
    seed_account(zendesk.emulator)
    zendesk.emulator.configure(consent_mode="auto-allow")
    verifier, challenge = pkce_pair()
    code = authorization_code(http, challenge)
    response = _code_exchange(http, zendesk, code, verifier, **extra)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert problem in response.json()["error_description"]


def test_expires_in_null_variant_issues_a_non_expiring_token(
    zendesk: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    account = seed_account(zendesk.emulator)
    zendesk.emulator.configure(expires_in_null=True)
    tokens = obtain_tokens(http, zendesk.emulator)
    assert tokens["expires_in"] is None
    clock.advance(90 * 86_400)
    response = http.get(f"/api/v2/users/{account.admin.id}", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200


def test_client_credentials_grant_needs_the_secret(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    account = seed_account(zendesk.emulator)
    no_secret = http.post(
        "/oauth/tokens",
        json={
            "grant_type": "client_credentials",
            "client_id": "deskline",
            "scope": "read",
        },
    )
    assert no_secret.status_code == 401
    granted = http.post(
        "/oauth/tokens",
        json={
            "grant_type": "client_credentials",
            "client_id": "deskline",
            "client_secret": account.client.secret,
            "scope": "read",
        },
    )
    assert granted.status_code == 201
    assert "refresh_token" not in granted.json()
    token = granted.json()["access_token"]
    assert http.get("/api/v2/users", headers=bearer(token)).status_code == 200


def test_form_encoded_token_request_is_accepted(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    account = seed_account(zendesk.emulator)
    response = http.post(
        "/oauth/tokens",
        data={
            "grant_type": "client_credentials",
            "client_id": "deskline",
            "client_secret": account.client.secret,
            "scope": "read write",
        },
    )
    assert response.status_code == 201


def test_read_scope_cannot_write_and_malformed_scope_cannot_do_anything(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    account = seed_account(zendesk.emulator)
    read_only = obtain_tokens(http, zendesk.emulator, scope="read")["access_token"]
    assert http.get("/api/v2/users", headers=bearer(read_only)).status_code == 200
    refused = http.post(
        "/api/v2/users", json={"user": {"name": "Caller"}}, headers=bearer(read_only)
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "Forbidden"
    malformed = http.post(
        "/oauth/tokens",
        json={
            "grant_type": "client_credentials",
            "client_id": "deskline",
            "client_secret": account.client.secret,
            "scope": ["read", "write"],
        },
    )
    assert malformed.status_code == 201  # Zendesk still issues it...
    token = malformed.json()["access_token"]
    assert http.get("/api/v2/users", headers=bearer(token)).status_code == 403  # ...but useless


def test_resource_scope_allows_only_its_resource(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    seed_account(zendesk.emulator)
    token = obtain_tokens(http, zendesk.emulator, scope="users:read")["access_token"]
    assert http.get("/api/v2/users", headers=bearer(token)).status_code == 200
    assert http.get("/api/v2/tickets/1", headers=bearer(token)).status_code == 403


def test_basic_api_token_authentication(zendesk: RunningEmulator, http: httpx.Client) -> None:
    account = seed_account(zendesk.emulator)
    token = zendesk.emulator.add_api_token()
    ok = http.get("/api/v2/users.json", auth=api_token_auth("omar@acme.test", token))
    assert ok.status_code == 200
    wrong = http.get("/api/v2/users.json", auth=api_token_auth("omar@acme.test", "nope"))
    assert wrong.status_code == 401
    password = http.get("/api/v2/users.json", auth=("omar@acme.test", token))
    assert password.status_code == 401
    missing = http.get(f"/api/v2/users/{account.agent.id}.json")
    assert missing.status_code == 401


def test_control_api_revokes_a_clients_tokens(zendesk: RunningEmulator, http: httpx.Client) -> None:
    account = seed_account(zendesk.emulator)
    tokens = obtain_tokens(http, zendesk.emulator)
    revoked = http.post("/_emulator/oauth/revoke", json={"client_id": "deskline"})
    assert revoked.json() == {"revoked": 2}
    response = http.get(f"/api/v2/users/{account.admin.id}", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    refresh = http.post(
        "/oauth/tokens",
        json={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "deskline",
            "client_secret": account.client.secret,
        },
    )
    assert refresh.json()["error"] == "invalid_grant"
