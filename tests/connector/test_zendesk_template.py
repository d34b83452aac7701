# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""The bundled Zendesk template, run by the real Connector over real HTTP against the Zendesk
emulator, scenario by scenario: OAuth2 (PKCE, JSON token requests, refresh with rotation, one
refresh and resend on invalid_token), agents across cursor pages, caller lookup by phone,
contact creation, tickets with Idempotency-Key and the voice comment in the same request, the
call journal, and the Talk Partner Edition display. After every test the emulator's OpenAPI
validation has seen no mismatch."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from deskline.connector import Connector, MemoryTokenStore, OAuthTokens
from deskline.connector.outcome import OutcomeTable
from deskline.errors import HelpdeskAuthError, HelpdeskError
from deskline.templates.model import ScenarioId
from deskline.templates.paths import extract_first
from tests.connector.zendesk_helpers import (
    ZendeskAccount,
    call_variables,
    connect_zendesk,
    emulator_clock,
    seed_zendesk,
    zendesk_template,
)
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import REDIRECT_URI, zendesk, zendesk_server  # noqa: F401


@pytest.fixture(autouse=True)
def openapi_accepts_everything(zendesk: RunningEmulator) -> Iterator[None]:
    yield
    assert zendesk.emulator.validation_errors() == []


@pytest.fixture
def account(zendesk: RunningEmulator) -> ZendeskAccount:
    return seed_zendesk(zendesk)


@pytest.fixture
async def zendesk_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
async def desk(
    zendesk: RunningEmulator, account: ZendeskAccount, zendesk_http: httpx.AsyncClient
) -> Connector:
    return await connect_zendesk(zendesk, account, zendesk_http)


def _api_requests(zendesk: RunningEmulator, method: str | None = None) -> list[Any]:
    return [r for r in zendesk.emulator.requests(method) if r.path.startswith("/api/")]


# --- AuthMethod: OAuth2 ---------------------------------------------------------------------------


def test_the_authorization_url_asks_for_read_write_with_pkce(account: ZendeskAccount) -> None:
    connector = Connector(zendesk_template(), account.fields)
    request = connector.authorize_url(REDIRECT_URI)
    url = urlsplit(request.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        f"{account.fields['base_url']}/oauth/authorizations/new"
    )
    assert query["client_id"] == "deskline"
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["scope"] == "read write"
    assert query["state"] == request.state
    assert query["code_challenge_method"] == "S256"
    assert request.code_verifier and query["code_challenge"]


def test_without_a_base_url_the_subdomain_names_the_zendesk_account(
    account: ZendeskAccount,
) -> None:
    fields = {k: v for k, v in account.fields.items() if k != "base_url"}
    request = Connector(zendesk_template(), fields).authorize_url(REDIRECT_URI)
    assert request.url.startswith("https://acme.zendesk.com/oauth/authorizations/new?")


async def test_on_real_zendesk_requests_and_popup_urls_use_the_subdomain(
    account: ZendeskAccount,
) -> None:
    sent: list[httpx.Request] = []

    def real_zendesk(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"results": [{"id": 7, "name": "Ruth", "phone": "+1"}]})

    fields = {k: v for k, v in account.fields.items() if k != "base_url"}
    store = MemoryTokenStore(OAuthTokens("token-1", "refresh-1", obtained_at=time.time()))
    async with httpx.AsyncClient(transport=httpx.MockTransport(real_zendesk)) as http:
        connector = Connector(zendesk_template(), fields, store, http_client=http)
        (ruth,) = (await connector.lookup("+15135557611")).contacts
    assert str(sent[0].url) == (
        "https://acme.zendesk.com/api/v2/search?query=role%3Aend-user%20phone%3A*5135557611"
    )
    assert ruth.popup_url == "https://acme.zendesk.com/agent/users/7"


async def test_the_code_exchange_sends_json_with_the_verifier_and_keeps_the_tokens(
    zendesk: RunningEmulator, account: ZendeskAccount, zendesk_http: httpx.AsyncClient
) -> None:
    store = MemoryTokenStore()
    await connect_zendesk(zendesk, account, zendesk_http, store)
    (exchange,) = zendesk.emulator.requests("POST", "/oauth/tokens")
    assert exchange.headers["content-type"] == "application/json"
    assert exchange.body["grant_type"] == "authorization_code"
    assert exchange.body["client_id"] == "deskline"
    assert exchange.body["redirect_uri"] == REDIRECT_URI
    assert {"code", "code_verifier", "client_secret"} <= set(exchange.body)
    assert exchange.status == 201
    tokens = await store.load()
    assert tokens is not None and tokens.refresh_token and tokens.expires_at is not None


async def test_a_denied_consent_is_a_clear_error(
    zendesk: RunningEmulator, account: ZendeskAccount, zendesk_http: httpx.AsyncClient
) -> None:
    from deskline.connector import code_from_redirect

    zendesk.emulator.configure(consent_mode="auto-deny")
    request = Connector(zendesk_template(), account.fields).authorize_url(REDIRECT_URI)
    consent = await zendesk_http.get(request.url)
    with pytest.raises(HelpdeskAuthError, match="access_denied"):
        code_from_redirect(consent.headers["location"], request.state)


async def test_a_wrong_secret_is_refused_at_the_code_exchange(
    zendesk: RunningEmulator, account: ZendeskAccount, zendesk_http: httpx.AsyncClient
) -> None:
    wrong = {**account.fields, "client_secret": "not-the-secret"}
    account = ZendeskAccount(account.admin, account.agent, account.caller, wrong)
    with pytest.raises(HelpdeskError) as raised:
        await connect_zendesk(zendesk, account, zendesk_http)
    assert "invalid_client" in str(raised.value)
    assert "not-the-secret" not in str(raised.value)


async def test_an_expiring_token_is_refreshed_first_and_the_rotated_pair_is_kept(
    zendesk: RunningEmulator, account: ZendeskAccount, zendesk_http: httpx.AsyncClient
) -> None:
    store = MemoryTokenStore()
    desk = await connect_zendesk(zendesk, account, zendesk_http, store)
    first = await store.load()
    emulator_clock(zendesk).advance(1800)  # the emulator's access tokens live 1,800 s
    found = await desk.lookup("+15135557611")
    assert [c.id for c in found.contacts] == [str(account.caller.id)]
    refresh = zendesk.emulator.requests("POST", "/oauth/tokens")[-1]
    assert refresh.headers["content-type"] == "application/json"
    assert refresh.body["grant_type"] == "refresh_token"
    assert refresh.status == 201
    second = await store.load()
    assert first is not None and second is not None
    assert second.refresh_token != first.refresh_token  # rotated, and saved
    assert [r.status for r in _api_requests(zendesk)] == [200]  # no 401 on the way


async def test_an_invalid_token_is_refreshed_once_and_the_request_resent(
    zendesk: RunningEmulator, account: ZendeskAccount, zendesk_http: httpx.AsyncClient
) -> None:
    connected_at = emulator_clock(zendesk).now()
    # deskline's clock lags: it believes the token is fresh, Zendesk says it expired
    desk = await connect_zendesk(zendesk, account, zendesk_http, clock=lambda: connected_at)
    emulator_clock(zendesk).advance(1800)
    found = await desk.lookup("+15135557611")
    assert len(found.contacts) == 1
    searches = zendesk.emulator.requests("GET", "/api/v2/search")
    assert [r.status for r in searches] == [401, 200]
    assert [r.body["grant_type"] for r in zendesk.emulator.requests("POST", "/oauth/tokens")] == [
        "authorization_code",
        "refresh_token",
    ]


async def test_a_revoked_refresh_token_means_authorize_again(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    zendesk.emulator.revoke_tokens(client_id="deskline")
    with pytest.raises(HelpdeskAuthError):
        await desk.lookup("+15135557611")


# --- UserAssociation ------------------------------------------------------------------------------


async def test_all_agents_and_admins_are_fetched_across_cursor_pages(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    for number in range(248):
        zendesk.emulator.add_agent(f"Agent {number}", f"agent{number}@acme.test")
    zendesk.emulator.add_user("Another Caller", phone="+15550000000")
    result = await desk.fetch_users()
    assert len(result.users) == 250  # 248 + Omar + Kristin; no end-users
    assert {u.email for u in result.users} >= {"kristin@acme.test", "omar@acme.test"}
    assert len({u.id for u in result.users}) == 250
    kristin = next(u for u in result.users if u.email == "kristin@acme.test")
    assert (kristin.id, kristin.first_name) == (str(account.admin.id), "Kristin Hale")
    pages = zendesk.emulator.requests("GET", "/api/v2/users")
    assert len(pages) == 3
    assert ("page[size]", "100") in pages[0].query
    assert all(any(k == "page[after]" for k, _ in page.query) for page in pages[1:])
    assert result.warnings == []


def test_paging_stops_when_zendesk_says_there_is_no_more_even_with_a_next_link() -> None:
    # Zendesk's documented loop condition is meta.has_more; links.next alone is not trusted
    path = zendesk_template().pagination.next_link_path
    assert path is not None
    page = {"users": [], "links": {"next": "https://acme.zendesk.com/api/v2/users.json?x=1"}}
    assert extract_first(path, page | {"meta": {"has_more": True}}) == page["links"]["next"]
    assert extract_first(path, page | {"meta": {"has_more": False}}) is None
    assert extract_first(path, {"users": [], "meta": {"has_more": False}}) is None


# --- SyncContactAuto and SearchContact ------------------------------------------------------------


@pytest.mark.parametrize(
    "stored", ["+1 513.555.7611", "(513) 555-7611", "+15135557611", "15135557611", "513-555-7611"]
)
@pytest.mark.parametrize("dialled", ["+15135557611", "5135557611", "+1 (513) 555-7611"])
async def test_a_caller_is_found_whatever_the_stored_format(
    zendesk: RunningEmulator, desk: Connector, stored: str, dialled: str
) -> None:
    user = zendesk.emulator.add_user("Ada Lovelace", phone=stored, email="ada@example.com")
    result = await desk.lookup(dialled)
    ada = next(c for c in result.contacts if c.id == str(user.id))
    assert (ada.first_name, ada.email, ada.phones) == (
        "Ada Lovelace",
        "ada@example.com",
        {"BusinessNumber": stored},
    )
    assert ada.popup_url == f"{zendesk.base_url}/agent/users/{user.id}"
    (search,) = zendesk.emulator.requests("GET", "/api/v2/search")
    assert search.query == [("query", "role:end-user phone:*5135557611")]


async def test_an_unknown_number_finds_nobody_and_agents_are_not_callers(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    zendesk.emulator.add_agent("Desk Phone", "desk@acme.test", phone="+15559876543")
    assert (await desk.lookup("+15559876543")).contacts == []
    assert (await desk.lookup("+4930123456")).contacts == []


async def test_a_number_without_digits_sends_no_search(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    result = await desk.lookup("anonymous")
    assert result.contacts == []
    assert _api_requests(zendesk) == []


async def test_the_manual_search_finds_by_name_or_by_number(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    by_name = await desk.search("ruth")
    by_number = await desk.search("(513) 555-7611")
    assert [c.id for c in by_name.contacts] == [str(account.caller.id)]
    assert [c.id for c in by_number.contacts] == [str(account.caller.id)]
    assert by_name.contacts[0].popup_url == f"{zendesk.base_url}/agent/users/{account.caller.id}"
    queries = [r.query for r in zendesk.emulator.requests("GET", "/api/v2/search")]
    assert queries == [
        [("query", "role:end-user ruth")],
        [("query", "role:end-user phone:*5135557611")],
    ]


# --- CreateNewContact -----------------------------------------------------------------------------


async def test_an_unknown_caller_becomes_automatic_new_contact_with_the_e164_number(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    result = await desk.create_contact("", "", "+15550001111")
    (created,) = zendesk.emulator.requests("POST", "/api/v2/users")
    assert created.body == {
        "user": {"name": "Automatic New Contact +15550001111", "phone": "+15550001111"}
    }
    user = zendesk.emulator.store.users[result.outputs["ContactId"]]
    assert (user.name, user.phone, user.role) == (
        "Automatic New Contact +15550001111",
        "+15550001111",
        "end-user",
    )


async def test_a_contact_with_a_name_keeps_it(zendesk: RunningEmulator, desk: Connector) -> None:
    result = await desk.create_contact("Grace", "Hopper", "+15552220002")
    assert zendesk.emulator.store.users[result.outputs["ContactId"]].name == "Grace Hopper"


async def test_the_created_contact_is_found_once_zendesk_has_indexed_it(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    zendesk.emulator.configure(search_index_delay=60)
    created = await desk.create_contact("", "", "+15550001111")
    assert (await desk.lookup("+15550001111")).contacts == []  # Zendesk's search lag
    emulator_clock(zendesk).advance(61)
    found = await desk.lookup("+15550001111")
    assert [c.id for c in found.contacts] == [str(created.outputs["ContactId"])]


# --- CreateNewTicket ------------------------------------------------------------------------------


async def test_a_ticket_carries_subject_description_requester_assignee_and_idempotency_key(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    result = await desk.create_ticket(call_variables(account))
    (sent,) = zendesk.emulator.requests("POST", "/api/v2/tickets")
    assert sent.headers["idempotency-key"] == "call%3Apbx%3A42%3Aticket"  # ASCII, any call id
    assert sent.body == {
        "ticket": {
            "subject": "Inbound Answered - from Ruth Baker<+15135557611>",
            "comment": {
                "body": "Inbound Answered - from Ruth Baker<+15135557611> to Omar Diaz<2005>",
                "public": False,
            },
            "requester_id": account.caller.id,
            "assignee_id": account.agent.id,
            "tags": ["deskline"],
        }
    }
    ticket = zendesk.emulator.store.tickets[result.outputs["TicketId"]]
    assert [c.type for c in ticket.comments] == ["Comment"]  # no journal unless asked


async def test_the_admins_subject_and_description_replace_the_defaults(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    settings = {
        "Subject": "{{.Communication_Type}} {{.Call_Status}}- from {{.Call_From}} to {{.Call_To}}",
        "Description": "{{.Time}} {{.Call_Log_Status}} ({{.Talk_Duration}})",
    }
    result = await desk.create_ticket(call_variables(account), settings)
    ticket = zendesk.emulator.store.tickets[result.outputs["TicketId"]]
    assert ticket.subject == "Inbound Answered- from Ruth Baker<+15135557611> to Omar Diaz<2005>"
    assert ticket.description == "2022-12-31 23:59:59 Answered (00:01:05)"


async def test_a_retry_with_the_same_key_makes_no_second_ticket(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    first = await desk.create_ticket(call_variables(account))
    again = await desk.create_ticket(call_variables(account))
    assert again.outputs["TicketId"] == first.outputs["TicketId"]
    assert len(zendesk.emulator.store.tickets) == 1
    keys = [
        r.headers["idempotency-key"] for r in zendesk.emulator.requests("POST", "/api/v2/tickets")
    ]
    assert keys == ["call%3Apbx%3A42%3Aticket"] * 2


async def test_the_idempotency_answer_says_hit_on_a_replay(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    answers: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        if response.request.url.path == "/api/v2/tickets":
            answers.append(response)

    desk.client.http.event_hooks["response"].append(keep)
    await desk.create_ticket(call_variables(account))
    await desk.create_ticket(call_variables(account))
    assert [a.headers["x-idempotency-lookup"] for a in answers] == ["miss", "hit"]


async def test_with_the_journal_the_ticket_is_one_write_with_the_voice_comment(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    template = zendesk_template()
    activity = template.activity_settings(ScenarioId.CREATE_NEW_TICKET)
    assert activity is not None and activity.journal_in_ticket
    result = await desk.create_ticket(call_variables(account, WithCallJournal="1"))
    assert len(zendesk.emulator.requests("POST", "/api/v2/tickets")) == 1
    assert zendesk.emulator.requests("PUT") == []
    ticket = zendesk.emulator.store.tickets[result.outputs["TicketId"]]
    voice = ticket.comments[-1]
    assert voice.type == "VoiceComment"
    assert voice.voice == {
        "from": "+15135557611",
        "to": "2005",
        "recording_url": "https://deskline.example/recordings/tok?exp=1700000000&sig=abc",
        "started_at": "2022-12-31T23:59:59Z",
        "call_duration": 65,
        "answered_by_id": account.agent.id,
        "transcription_text": None,
    }


async def test_a_ticket_for_an_unknown_caller_without_agent_is_still_accepted(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    variables = call_variables(
        account, ContactId="", AgentUserId="", Call_Status="No Answer", Talk_Duration_Sec=0
    )
    result = await desk.create_ticket({**variables, "WithCallJournal": "1", "RecordPath": ""})
    ticket = zendesk.emulator.store.tickets[result.outputs["TicketId"]]
    assert ticket.requester_id == account.admin.id  # Zendesk's default: the token's user
    assert ticket.assignee_id is None
    voice = ticket.comments[-1].voice
    assert voice is not None
    assert "answered_by_id" not in voice and voice["recording_url"] is None


# --- CallJournal ----------------------------------------------------------------------------------


async def test_the_journal_puts_a_voice_comment_on_the_ticket(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    ticket_id = (await desk.create_ticket(call_variables(account))).outputs["TicketId"]
    await desk.log_call(call_variables(account, TicketId=ticket_id, Talk_Duration_Sec=125))
    (put,) = zendesk.emulator.requests("PUT")
    assert put.path == f"/api/v2/tickets/{ticket_id}"
    assert put.body == {
        "ticket": {
            "voice_comment": {
                "from": "+15135557611",
                "to": "2005",
                "recording_url": "https://deskline.example/recordings/tok?exp=1700000000&sig=abc",
                "started_at": "2022-12-31T23:59:59Z",
                "call_duration": 125,
                "answered_by_id": account.agent.id,
            }
        }
    }
    assert put.status == 200
    comments = zendesk.emulator.state()["tickets"][0]["comments"]
    assert [c["type"] for c in comments] == ["Comment", "VoiceComment"]
    assert comments[1]["data"]["recording_url"].startswith("https://deskline.example/")


async def test_without_a_ticket_the_journal_sends_nothing(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    result = await desk.log_call(call_variables(account))
    assert [entry.outcome for entry in result.log] == ["skipped"]
    assert _api_requests(zendesk) == []


# --- ScreenPop (Talk Partner Edition display) -----------------------------------------------------


async def test_the_screen_pop_opens_the_callers_profile_for_the_agent(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    variables = {"AgentUserId": account.agent.id, "ContactId": account.caller.id}
    result = await desk.run(ScenarioId.SCREEN_POP, variables)
    assert [entry.status for entry in result.log] == [200]
    (display,) = zendesk.emulator.displays
    assert (display.kind, display.agent_id, display.target_id, display.status) == (
        "user",
        account.agent.id,
        account.caller.id,
        200,
    )


async def test_without_talk_partner_edition_the_screen_pop_fails_clearly(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount
) -> None:
    zendesk.emulator.configure(tpe_enabled=False)
    variables = {"AgentUserId": account.agent.id, "ContactId": account.caller.id}
    with pytest.raises(HelpdeskError) as raised:
        await desk.run(ScenarioId.SCREEN_POP, variables)
    assert (raised.value.outcome, raised.value.status_code) == ("fail", 403)
    assert zendesk.emulator.displays == []


# --- rate limits ----------------------------------------------------------------------------------


async def test_a_429_is_a_retry_after_the_time_zendesk_says(
    zendesk: RunningEmulator, desk: Connector
) -> None:
    zendesk.emulator.start_429_storm(requests=1, retry_after=7)
    with pytest.raises(HelpdeskError) as raised:
        await desk.lookup("+15135557611")
    assert (raised.value.outcome, raised.value.retry_after) == ("retry", 7)
    assert len((await desk.lookup("+15135557611")).contacts) == 1


# --- hostile values -------------------------------------------------------------------------------

HOSTILE = [
    'Ruth "The Boss" O\'Brien',
    "{{.client_secret}} {{ }}",
    "first line\r\nX-Evil: 1\nthird line",
    "Ωmega çé \u2028 ü 😀 مرحبا 東京",  # Zendesk trims names: the separator stays inside
    '"}],"admin":true,"x":[{"a":"',
    "back\\slash \\u0041",
    "null",
    "x" * 10_000,
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_values_reach_zendesk_intact(
    zendesk: RunningEmulator, desk: Connector, account: ZendeskAccount, value: str
) -> None:
    contact = await desk.create_contact(value, "", "+15550001111")
    assert zendesk.emulator.store.users[contact.outputs["ContactId"]].name == value

    variables = call_variables(
        account, Call_From=f"{value}<+15135557611>", CallerNumber=value, WithCallJournal="1"
    )
    ticket_id = (await desk.create_ticket(variables)).outputs["TicketId"]
    await desk.log_call({**variables, "TicketId": ticket_id})
    ticket = zendesk.emulator.store.tickets[ticket_id]
    assert ticket.subject == f"Inbound Answered - from {value}<+15135557611>"
    assert ticket.description == (
        f"Inbound Answered - from {value}<+15135557611> to Omar Diaz<2005>"
    )
    voices = [c.voice for c in ticket.comments if c.voice is not None]
    assert [v["from"] for v in voices] == [value, value]

    await desk.search(value)
    await desk.lookup(value)
    api = _api_requests(zendesk)
    assert [r.status for r in api] == [201, 201, 200, 200] + [200] * (len(api) - 4)


@pytest.mark.parametrize(("status", "expected"), [(409, "retry"), (422, "fail"), (400, "fail")])
def test_a_conflicting_update_is_retried_other_refusals_fail(status: int, expected: str) -> None:
    # Zendesk answers 409 when two updates of one ticket collide: worth another try
    table = OutcomeTable(zendesk_template())
    body = b'{"error":"RecordInvalid","description":"Record validation errors"}'
    decision = table.classify(status, body, None, scenario_id="CallJournal", lookup=False, now=0.0)
    assert decision.outcome == expected
