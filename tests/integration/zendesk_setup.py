"""Connecting deskline's admin API to the Zendesk emulator over real HTTP.

The admin app runs in-process (``tests/web/conftest.py``'s ``server``); the emulator is a real
server on 127.0.0.1. The browser's part of OAuth is played by an httpx client: it opens the
authorization URL (the emulator's consent answers at once in auto-allow / auto-deny mode) and
brings the redirect's query back to deskline's ``/oauth/callback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from deskline.integration.connectors import ProviderOptions
from tests.fakes.zendesk import ManualClock, RunningEmulator
from tests.web.conftest import Server

#: deskline's callback with the test settings (no public URL: http://127.0.0.1:8080)
DESKLINE_REDIRECT_URI = "http://127.0.0.1:8080/oauth/callback"


@dataclass(frozen=True)
class ZendeskClient:
    """The emulator's OAuth client and the connect form's fields for it."""

    fields: dict[str, str]


def use_emulator_clock(server: Server, zendesk: RunningEmulator) -> ManualClock:
    """Make deskline's token timing follow the emulator's manual clock."""
    clock = zendesk.emulator.clock
    assert isinstance(clock, ManualClock)
    # the same provider the pipeline holds; connectors are built with its options
    server.runtime.helpdesks.options = ProviderOptions(clock=clock.now)
    return clock


def register_client(zendesk: RunningEmulator, *, secret: str | None = None) -> ZendeskClient:
    client = zendesk.emulator.register_oauth_client("deskline", [DESKLINE_REDIRECT_URI])
    assert client.secret is not None
    return ZendeskClient(
        {
            "client_id": "deskline",
            "client_secret": secret or client.secret,
            "subdomain": "acme",
            "base_url": zendesk.base_url,
        }
    )


async def start_connect(server: Server, fields: dict[str, str]) -> dict[str, Any]:
    answer = await server.admin.post(
        "/api/helpdesk/connect", json={"template_key": "zendesk", "fields": fields}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def consent(authorization_url: str) -> dict[str, str]:
    """The browser at Zendesk's consent page: the query Zendesk redirects back with."""
    async with httpx.AsyncClient(timeout=5) as browser:
        answer = await browser.get(authorization_url)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(DESKLINE_REDIRECT_URI), location
    return dict(parse_qsl(urlsplit(location).query))


async def callback(server: Server, query: dict[str, str]) -> httpx.Response:
    return await server.anon.get("/oauth/callback", params=query)


async def connect_zendesk(server: Server, zendesk: RunningEmulator) -> ZendeskClient:
    """The whole happy path: connect, consent (auto-allow), callback; asserts Connected."""
    client = register_client(zendesk)
    zendesk.emulator.configure(consent_mode="auto-allow")
    start = await start_connect(server, client.fields)
    page = await callback(server, await consent(start["authorization_url"]))
    assert page.status_code == 200, page.text
    assert "Connected" in page.text
    return client


def seed_agents(zendesk: RunningEmulator, count: int) -> None:
    for number in range(count):
        zendesk.emulator.add_agent(f"Agent {number:03d}", f"agent{number:03d}@acme.test")
