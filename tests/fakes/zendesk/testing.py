"""Helpers for tests that talk to the emulator: fixtures, PKCE, the OAuth dance, auth headers.

Test modules import the fixtures they use::

    from tests.fakes.zendesk.testing import clock, http, zendesk, zendesk_server  # noqa: F401
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.zendesk.clock import ManualClock
from tests.fakes.zendesk.emulator import ZendeskEmulator
from tests.fakes.zendesk.fixture import RunningEmulator, running_emulator
from tests.fakes.zendesk.oauth_state import ClientKind, OAuthClient
from tests.fakes.zendesk.records import User

REDIRECT_URI = "http://127.0.0.1:8000/oauth/callback"


@pytest.fixture(scope="module")
def zendesk_server() -> Iterator[RunningEmulator]:
    """One emulator server per test module, on a manual clock."""
    with running_emulator(ZendeskEmulator(clock=ManualClock())) as running:
        yield running


@pytest.fixture
def zendesk(zendesk_server: RunningEmulator) -> RunningEmulator:
    """The module's emulator with fresh data and default switches."""
    zendesk_server.emulator.reset()
    return zendesk_server


@pytest.fixture
def clock(zendesk: RunningEmulator) -> ManualClock:
    assert isinstance(zendesk.emulator.clock, ManualClock)
    return zendesk.emulator.clock


@pytest.fixture
def http(zendesk: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=zendesk.base_url, timeout=5.0) as client:
        yield client


@dataclass(frozen=True)
class Account:
    admin: User
    agent: User
    client: OAuthClient


def seed_account(emulator: ZendeskEmulator, kind: ClientKind = "confidential") -> Account:
    admin = emulator.add_agent("Kristin Hale", "kristin@acme.test", admin=True)
    agent = emulator.add_agent("Omar Diaz", "omar@acme.test")
    client = emulator.register_oauth_client("deskline", [REDIRECT_URI], kind)
    return Account(admin, agent, client)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_params(client_id: str = "deskline", **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "read write",
        "state": "opaque-state",
        **extra,
    }


def redirect_query(response: httpx.Response) -> dict[str, str]:
    """The query of a 302 to the redirect URI, one value per key."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorization_code(http: httpx.Client, challenge: str, scope: str = "read write") -> str:
    """Run the consent step with the emulator on auto-allow; returns the code."""
    params = authorize_params(code_challenge=challenge, code_challenge_method="S256", scope=scope)
    return redirect_query(http.get("/oauth/authorizations/new", params=params))["code"]


def obtain_tokens(
    http: httpx.Client, emulator: ZendeskEmulator, scope: str = "read write", **extra: Any
) -> dict[str, Any]:
    """The whole authorization-code + PKCE flow for the ``deskline`` client."""
    emulator.configure(consent_mode="auto-allow")
    verifier, challenge = pkce_pair()
    code = authorization_code(http, challenge, scope)
    client = emulator.oauth.clients["deskline"]
    response = http.post(
        "/oauth/tokens",
        json={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "deskline",
            "client_secret": client.secret,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_token_auth(email: str, token: str) -> httpx.BasicAuth:
    return httpx.BasicAuth(f"{email}/token", token)
