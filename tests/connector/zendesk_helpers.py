"""Running the bundled Zendesk template against the Zendesk emulator (tests/fakes/zendesk).

The connector talks to the emulator over real HTTP: the template's ``base_url`` field points
at the emulator instead of ``https://{subdomain}.zendesk.com``, and the OAuth2 flow runs for
real (authorization URL → the emulator's consent in auto-allow mode → code exchange with
PKCE → tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from deskline.connector import Connector, MemoryTokenStore, TokenStore, code_from_redirect
from deskline.templates.builtin import load_builtin_template
from deskline.templates.model import HelpdeskTemplate
from tests.fakes.zendesk import ManualClock, RunningEmulator
from tests.fakes.zendesk.records import User
from tests.fakes.zendesk.testing import REDIRECT_URI

NEW_YEAR_EVE = 1672531199  # 2022-12-31T23:59:59Z


def zendesk_template() -> HelpdeskTemplate:
    return load_builtin_template("zendesk")


@dataclass(frozen=True)
class ZendeskAccount:
    """The seeded account: an admin, an agent, a caller, and the OAuth client's fields."""

    admin: User
    agent: User
    caller: User
    fields: dict[str, str]


def seed_zendesk(zendesk: RunningEmulator) -> ZendeskAccount:
    emulator = zendesk.emulator
    admin = emulator.add_agent("Kristin Hale", "kristin@acme.test", admin=True)
    agent = emulator.add_agent("Omar Diaz", "omar@acme.test")
    caller = emulator.add_user("Ruth Baker", phone="+1 513.555.7611", email="ruth@example.com")
    client = emulator.register_oauth_client("deskline", [REDIRECT_URI])
    assert client.secret is not None
    fields = {
        "client_id": "deskline",
        "client_secret": client.secret,
        "subdomain": "acme",
        "base_url": zendesk.base_url,
    }
    return ZendeskAccount(admin, agent, caller, fields)


def emulator_clock(zendesk: RunningEmulator) -> ManualClock:
    clock = zendesk.emulator.clock
    assert isinstance(clock, ManualClock)
    return clock


async def connect_zendesk(
    zendesk: RunningEmulator,
    account: ZendeskAccount,
    http: httpx.AsyncClient,
    store: TokenStore | None = None,
    clock: Callable[[], float] | None = None,
) -> Connector:
    """A connector for the account, authorized through the emulator's consent (auto-allow).

    Unless given another ``clock``, the connector shares the emulator's manual clock, so
    token expiry can be tested by advancing it."""
    zendesk.emulator.configure(consent_mode="auto-allow")
    connector = Connector(
        zendesk_template(),
        account.fields,
        store or MemoryTokenStore(),
        http_client=http,
        clock=clock or emulator_clock(zendesk).now,
    )
    request = connector.authorize_url(REDIRECT_URI)
    consent = await http.get(request.url)
    code = code_from_redirect(consent.headers["location"], request.state)
    await connector.exchange_code(code, REDIRECT_URI, request.code_verifier)
    return connector


def call_variables(account: ZendeskAccount, **overrides: Any) -> dict[str, Any]:
    """An answered inbound call from the seeded caller to the seeded agent."""
    values: dict[str, Any] = {
        "CallId": "call-42",
        "IdempotencyKey": "call:pbx:42:ticket",
        "Communication_Type": "Inbound",
        "Call_Status": "Answered",
        "Call_Log_Status": "Answered",
        "Call_From": "Ruth Baker<+15135557611>",
        "Call_To": "Omar Diaz<2005>",
        "CallerNumber": "+15135557611",
        "CalleeNumber": "2005",
        "Time": "2022-12-31 23:59:59",
        "StartTimeUnix": NEW_YEAR_EVE,
        "Talk_Duration": "00:01:05",
        "Talk_Duration_Sec": 65,
        "ContactId": account.caller.id,
        "ContactNumber": "+15135557611",
        "AgentUserId": account.agent.id,
        "AgentEmail": "omar@acme.test",
        "RecordPath": "https://deskline.example/recordings/tok?exp=1700000000&sig=abc",
    }
    values.update(overrides)
    return values
