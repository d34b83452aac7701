"""The contract test: every example template (docs/examples/) and every bundled template runs
each of its scenarios against the generic helpdesk over real HTTP (the Zendesk template against
the Zendesk emulator); the exact requests received and the outputs extracted are compared with
what the template describes.

A template without expectations here fails ``test_every_template_has_a_contract``: adding a
bundled template means adding its contract below.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from deskline.connector import Connector, ScenarioResult
from deskline.templates.builtin import builtin_template_paths, load_builtin_template
from deskline.templates.model import ScenarioId
from deskline.templates.validation import load_valid_template
from tests.connector.conftest import ACME_FIELDS, EXAMPLES, LISTDESK_FIELDS
from tests.connector.helpers import TRANSPORT_HEADERS, authorized, received
from tests.connector.zendesk_helpers import (
    ZendeskAccount,
    call_variables,
    connect_zendesk,
    seed_zendesk,
)
from tests.fakes.generic_helpdesk import GenericHelpdesk
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.recorder import RecordedRequest, mask_authorization
from tests.fakes.zendesk.testing import zendesk, zendesk_server  # noqa: F401

NOT_RUN_ALONE = {ScenarioId.AUTH_METHOD, ScenarioId.COMMON, ScenarioId.FOLLOW_UP_REQUESTS}
CALL = {
    "CallId": "call-42",
    "Communication_Type": "Inbound",
    "Call_Status": "Answered",
    "Call_Log_Status": "Answered",
    "Call_From": "Ada<+15551230001>",
    "Call_To": "<+15557654321>",
    "CallerNumber": "+15551230001",
    "CalleeNumber": "+15557654321",
    "Time": "2022-12-31 23:59:59",
    "StartTimeUnix": 1672531199,
    "Talk_Duration": "00:01:05",
    "Talk_Duration_Sec": 65,
    "ContactId": 1001,
    "ContactNumber": "+15551230001",
    "AgentUserId": 7,
    "RecordPath": "https://pbx.example/r/1.wav?sig=abc",
}
ACME_JSON = {
    "accept": "application/json",
    "content-type": "application/json",
    "x-acme-region": "eu",
}


@dataclass(frozen=True)
class Case:
    variables: dict[str, Any]
    requests: list[dict[str, Any]]  # as tests.connector.helpers.received gives them
    check: Callable[[ScenarioResult], None]


def seed(desk: GenericHelpdesk) -> None:
    desk.add_contact(  # id 1001
        "Ada",
        "Lovelace",
        "+15551230001",
        email="ada@example.com",
        mobile="+15559990001",
        notes="VIP",
        phones=[{"type": "home", "number": "+15550000001"}],
    )
    desk.add_contact("Grace", "Hopper", "+15552220002", mobile="+15551230001")  # id 1002
    desk.add_users(5)  # ids 1003..1007


# --- Acme Desk (OAuth2, docs/examples/acme-oauth2.xml) ----------------------------------------


def acme_cases(token: str) -> dict[str, Case]:
    headers = {**ACME_JSON, "authorization": f"Bearer {token}"}

    def get(path: str, query: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        return {
            "method": "GET",
            "path": path,
            "query": query or [],
            "headers": headers,
            "body": None,
        }

    def sent(method: str, path: str, body: Any) -> dict[str, Any]:
        return {"method": method, "path": path, "query": [], "headers": headers, "body": body}

    def lookup(result: ScenarioResult) -> None:
        ada, grace = result.contacts
        assert (ada.id, ada.first_name, ada.last_name, ada.email) == (
            "1001",
            "Ada",
            "Lovelace",
            "ada@example.com",
        )
        assert ada.phones == {
            "BusinessNumber": "+15551230001",
            "MobileNumber": "+15559990001",
            "HomeNumber": "+15550000001",
        }
        assert ada.remark == "VIP"
        assert ada.popup_url == "https://acme.acmedesk.example/agent/contacts/1001"
        assert (grace.id, grace.phones) == (
            "1002",
            {"BusinessNumber": "+15552220002", "MobileNumber": "+15551230001"},
        )
        assert result.outputs["ContactsId"] == [1001, 1002]

    def search(result: ScenarioResult) -> None:
        assert [(c.id, c.last_name, c.popup_url) for c in result.contacts] == [
            ("1002", "Hopper", "https://acme.acmedesk.example/agent/contacts/1002")
        ]

    def users(result: ScenarioResult) -> None:
        assert [u.id for u in result.users] == ["1003", "1004", "1005", "1006", "1007"]
        assert (result.users[0].first_name, result.users[0].email) == (
            "Agent0",
            "agent0@desk.example",
        )
        assert result.warnings == []

    ticket_body = {
        "ticket": {
            "subject": "Inbound call Answered - from Ada<+15551230001> to <+15557654321>",
            "requester_id": "1001",
            "assignee_id": "7",
            "group_id": "",
            "tags": ["phone", "Inbound"],
        }
    }
    note = (
        "2022-12-31 23:59:59 Inbound Answered - from Ada<+15551230001> to <+15557654321> (00:01:05)"
    )
    call_body = {
        "call": {
            "external_id": "call-42",
            "direction": "Inbound",
            "from": "+15551230001",
            "to": "+15557654321",
            "started_at": "2022-12-31T23:59:59.000Z",
            "duration": 65,
            "status": "Answered",
            "recording_url": "https://pbx.example/r/1.wav?sig=abc",
            "contact_id": "1001",
            "agent_id": "7",
            "note": "Call: 2022-12-31 23:59:59 Answered from Ada<+15551230001> to "
            "<+15557654321> 00:01:05",
        }
    }
    return {
        "SyncContactAuto": Case(
            {"Phone": "+15551230001"},
            [
                get("/api/v1/contacts/search", [("phone", "+15551230001")]),
                get("/api/v1/contacts/1001/phones"),
                get("/api/v1/contacts/1002/phones"),
            ],
            lookup,
        ),
        "SearchContact": Case(
            {"SearchValue": "hopper"},
            [get("/api/v1/contacts/search", [("query", "hopper")])],
            search,
        ),
        "UserAssociation": Case(
            {},
            [
                get("/api/v1/users", [("role", "agent")]),
                get("/api/v1/users", [("role", "agent"), ("after", "2")]),
                get("/api/v1/users", [("role", "agent"), ("after", "4")]),
            ],
            users,
        ),
        "CreateNewContact": Case(
            {"FirstName": "Alan", "LastName": "Turing", "BusinessNumber": "+15553330003"},
            [
                sent(
                    "POST",
                    "/api/v1/contacts",
                    {
                        "contact": {
                            "first_name": "Alan",
                            "last_name": "Turing",
                            "phone": "+15553330003",
                            "source": "phone",
                        }
                    },
                )
            ],
            lambda r: _equal(r.outputs, {"ContactId": 1008}),
        ),
        "CreateNewTicket": Case(
            CALL,
            [
                sent("POST", "/api/v1/tickets", ticket_body),
                sent(
                    "PUT",
                    "/api/v1/tickets/1008",
                    {"ticket": {"comment": {"body": note, "public": False}}},
                ),
            ],
            lambda r: _equal(r.outputs, {"TicketId": 1008}),
        ),
        "CallJournal": Case(
            CALL,
            [sent("POST", "/api/v1/calls", call_body)],
            lambda r: _equal(r.outputs, {"CallLogId": 1008}),
        ),
    }


# --- Listdesk (Basic with an API key, docs/examples/basic-list-and-match.xml) ------------------


def listdesk_cases() -> dict[str, Case]:
    auth = "Basic " + base64.b64encode(b"key-123:X").decode()
    headers = {
        "accept": "application/json",
        "content-type": "application/json",
        "authorization": auth,
    }

    def lookup(result: ScenarioResult) -> None:
        assert [(c.id, c.first_name, c.phones, c.popup_url) for c in result.contacts] == [
            ("1001", "Ada", {"BusinessNumber": "+15551230001"}, "https://desk.example/people/1001")
        ]

    def users(result: ScenarioResult) -> None:
        assert len(result.users) == 5
        assert (result.users[4].id, result.users[4].first_name, result.users[4].email) == (
            "1007",
            "Agent4",
            "agent4@desk.example",
        )
        assert result.users[0].last_name is None  # the template maps no last name

    ticket = {
        "subject": "Inbound call Answered from Ada<+15551230001>",
        "description": "2022-12-31 23:59:59: Answered (00:01:05)",
        "requester_id": 1001,
        "phone": "+15551230001",
        "status": 2,
        "priority": 1,
    }
    return {
        "SyncContactAuto": Case(
            {"Phone": "+15551230001"},
            [
                {
                    "method": "GET",
                    "path": "/api/v2/customers",
                    "query": [("per_page", "500")],
                    "headers": headers,
                    "body": None,
                }
            ],
            lookup,
        ),
        "SyncContactAuto/mobile": Case(
            {"Phone": "+15559990001"},
            [
                {
                    "method": "GET",
                    "path": "/api/v2/customers",
                    "query": [("per_page", "500")],
                    "headers": headers,
                    "body": None,
                }
            ],
            lookup_mobile_ada,
        ),
        "UserAssociation": Case(
            {},
            [
                {
                    "method": "GET",
                    "path": "/api/v2/agents",
                    "query": [("page", "1"), ("per_page", "50")],
                    "headers": headers,
                    "body": None,
                }
            ],
            users,
        ),
        "CreateNewTicket": Case(
            CALL,
            [
                {
                    "method": "POST",
                    "path": "/api/v2/tickets",
                    "query": [],
                    "headers": headers,
                    "body": ticket,
                }
            ],
            lambda r: _equal(r.outputs, {"TicketId": 1008}),
        ),
    }


def lookup_mobile_ada(result: ScenarioResult) -> None:
    # Ada's mobile is +15559990001: found through the second alternative of each path
    assert [(c.id, c.phones, c.popup_url) for c in result.contacts] == [
        ("1001", {"MobileNumber": "+15559990001"}, "https://desk.example/people/1001")
    ]


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


# --- generic-rest (bundled; API key header) -----------------------------------------------------

GENERIC_FIELDS = {"base_url": "https://generic.example/api/v3", "api_key": "hdr-key-7"}


def generic_cases() -> dict[str, Case]:
    headers = {
        "accept": "application/json",
        "content-type": "application/json",
        "x-api-key": "hdr-key-7",
    }

    def get(query: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "method": "GET",
            "path": "/api/v3/contacts",
            "query": query,
            "headers": headers,
            "body": None,
        }

    def lookup(result: ScenarioResult) -> None:
        assert [(c.id, c.last_name, c.email, c.phones, c.popup_url) for c in result.contacts] == [
            (
                "1001",
                "Lovelace",
                "ada@example.com",
                {"BusinessNumber": "+15551230001", "MobileNumber": "+15559990001"},
                "https://desk.example/people/1001",
            ),
            (
                "1002",
                "Hopper",
                None,
                {"BusinessNumber": "+15552220002", "MobileNumber": "+15551230001"},
                "https://desk.example/people/1002",
            ),
        ]

    ticket = {
        "subject": "Inbound call Answered - from Ada<+15551230001> to <+15557654321>",
        "description": "2022-12-31 23:59:59 Inbound Answered (00:01:05)",
        "contact_id": "1001",
        "phone": "+15551230001",
        "call_id": "call-42",
    }
    call = {
        "call_id": "call-42",
        "direction": "Inbound",
        "status": "Answered",
        "from": "+15551230001",
        "to": "+15557654321",
        "started_at": "2022-12-31T23:59:59Z",
        "duration": 65,
        "recording_url": "https://pbx.example/r/1.wav?sig=abc",
        "contact_id": "1001",
        "ticket_id": "5",
        "agent_email": "agent@desk.example",
        "note": "2022-12-31 23:59:59 Answered from Ada<+15551230001> to <+15557654321> 00:01:05",
    }
    return {
        "SyncContactAuto": Case(
            {"Phone": "+15551230001"}, [get([("phone", "+15551230001")])], lookup
        ),
        "SearchContact": Case(
            {"SearchValue": "Ada Lovelace"},
            [get([("query", "Ada Lovelace")])],
            lambda r: _equal([c.id for c in r.contacts], []),
        ),
        "CreateNewTicket": Case(
            CALL,
            [
                {
                    "method": "POST",
                    "path": "/api/v3/tickets",
                    "query": [],
                    "headers": headers,
                    "body": ticket,
                }
            ],
            lambda r: _equal(r.outputs, {"TicketId": 1008}),
        ),
        "CallJournal": Case(
            {**CALL, "TicketId": 5, "AgentEmail": "agent@desk.example"},
            [
                {
                    "method": "POST",
                    "path": "/api/v3/calls",
                    "query": [],
                    "headers": headers,
                    "body": call,
                }
            ],
            lambda r: _equal(r.outputs, {}),
        ),
    }


# --- zendesk (bundled; OAuth2 with PKCE; against the Zendesk emulator) ---------------------------

ZENDESK_SCENARIOS = [
    "SyncContactAuto",
    "SearchContact",
    "UserAssociation",
    "CreateNewContact",
    "CreateNewTicket",
    "CreateNewTicket/without-journal",
    "CallJournal",
    "ScreenPop",
    "IndexRefresh",
    "CallJournalCheck",
]


def zendesk_cases(
    account: ZendeskAccount, token: str, ticket_id: int, voice_comment_ids: list[int]
) -> dict[str, Case]:
    auth = {"accept": "application/json", "authorization": mask_authorization(f"Bearer {token}")}
    with_body = {**auth, "content-type": "application/json"}
    caller, agent, admin = account.caller.id, account.agent.id, account.admin.id
    base = account.fields["base_url"]

    def sent(
        method: str, path: str, query: list[tuple[str, str]], body: Any, **headers: str
    ) -> dict[str, Any]:
        known = with_body if body is not None else auth
        return {
            "method": method,
            "path": path,
            "query": query,
            "headers": {**known, **headers},
            "body": body,
        }

    def ruth(result: ScenarioResult) -> None:
        (contact,) = result.contacts
        assert (contact.id, contact.first_name, contact.email, contact.phones) == (
            str(caller),
            "Ruth Baker",
            "ruth@example.com",
            {"BusinessNumber": "+1 513.555.7611"},
        )
        assert contact.popup_url == f"{base}/agent/users/{caller}"

    def users(result: ScenarioResult) -> None:
        assert [(u.id, u.first_name, u.email) for u in result.users] == [
            (str(admin), "Kristin Hale", "kristin@acme.test"),
            (str(agent), "Omar Diaz", "omar@acme.test"),
        ]

    voice = {
        "from": "+15135557611",
        "to": "2005",
        "recording_url": "https://deskline.example/recordings/tok?exp=1700000000&sig=abc",
        "started_at": "2022-12-31T23:59:59Z",
        "call_duration": 65,
        "answered_by_id": agent,
    }
    ticket = {
        "subject": "Inbound Answered - from Ruth Baker<+15135557611>",
        "comment": {
            "body": "Inbound Answered - from Ruth Baker<+15135557611> to Omar Diaz<2005>",
            "public": False,
        },
        "requester_id": caller,
        "assignee_id": agent,
    }
    key = {"idempotency-key": "call%3Apbx%3A42%3Aticket"}
    new_ticket_id = ticket_id + 1
    call = call_variables(account)
    return {
        "SyncContactAuto": Case(
            {"Phone": "+15135557611"},
            [sent("GET", "/api/v2/search", [("query", "role:end-user phone:*5135557611")], None)],
            ruth,
        ),
        "SearchContact": Case(
            {"SearchValue": "ruth"},
            [sent("GET", "/api/v2/search", [("query", "role:end-user ruth")], None)],
            ruth,
        ),
        "UserAssociation": Case(
            {},
            [
                sent(
                    "GET",
                    "/api/v2/users",
                    [("role[]", "agent"), ("role[]", "admin"), ("page[size]", "100")],
                    None,
                )
            ],
            users,
        ),
        "CreateNewContact": Case(
            {"FirstName": "", "LastName": "", "BusinessNumber": "+15550001111"},
            [
                sent(
                    "POST",
                    "/api/v2/users",
                    [],
                    {
                        "user": {
                            "name": "Automatic New Contact +15550001111",
                            "phone": "+15550001111",
                        }
                    },
                )
            ],
            lambda r: _equal(r.outputs, {"ContactId": account.caller.id + 1}),
        ),
        "CreateNewTicket": Case(
            {**call, "WithCallJournal": "1"},
            [
                sent(
                    "POST",
                    "/api/v2/tickets",
                    [],
                    {"ticket": {**ticket, "voice_comment": voice, "tags": ["deskline"]}},
                    **key,
                )
            ],
            lambda r: _equal(r.outputs, {"TicketId": new_ticket_id}),
        ),
        "CreateNewTicket/without-journal": Case(
            call,
            [
                sent(
                    "POST",
                    "/api/v2/tickets",
                    [],
                    {"ticket": {**ticket, "tags": ["deskline"]}},
                    **key,
                )
            ],
            lambda r: _equal(r.outputs, {"TicketId": new_ticket_id}),
        ),
        "CallJournal": Case(
            {**call, "TicketId": ticket_id},
            [
                sent(
                    "PUT",
                    f"/api/v2/tickets/{ticket_id}",
                    [],
                    {"ticket": {"voice_comment": voice}},
                )
            ],
            lambda r: _equal(r.outputs, {}),
        ),
        "ScreenPop": Case(
            {"AgentUserId": agent, "ContactId": caller, "CallId": "call-42"},
            [
                sent(
                    "POST",
                    f"/api/v2/channels/voice/agents/{agent}/users/{caller}/display",
                    [],
                    None,
                )
            ],
            lambda r: _equal([entry.status for entry in r.log], [200]),
        ),
        "IndexRefresh": Case(
            {"Cursor": "", "StartTime": 0, "PageSize": 100},
            [
                sent(
                    "GET",
                    "/api/v2/incremental/users/cursor",  # recorded without .json
                    [("start_time", "0"), ("per_page", "100")],
                    None,
                )
            ],
            # everyone was changed within the last minute: left for a later run
            lambda r: _equal(
                (r.contacts, r.response_values["EndOfStream"], bool(r.response_values["Cursor"])),
                ([], True, True),
            ),
        ),
        "CallJournalCheck": Case(
            {**call, "TicketId": ticket_id},
            [
                sent(
                    "GET",
                    f"/api/v2/tickets/{ticket_id}/comments",
                    [("sort_order", "desc"), ("page[size]", "100")],
                    None,
                )
            ],
            # the ticket's voice comments, not its other comments
            lambda r: _equal(r.records, [{"JournalEntryId": i} for i in voice_comment_ids]),
        ),
    }


def _zendesk_received(request: RecordedRequest) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "headers": {k: v for k, v in request.headers.items() if k not in TRANSPORT_HEADERS},
        "body": request.body,
    }


# --- the runs -------------------------------------------------------------------------------

ACME_SCENARIOS = list(acme_cases("x"))
LISTDESK_SCENARIOS = list(listdesk_cases())
GENERIC_SCENARIOS = list(generic_cases())
CONTRACTS: dict[str, list[str]] = {
    "acme-oauth2.xml": ACME_SCENARIOS,
    "basic-list-and-match.xml": LISTDESK_SCENARIOS,
    "generic-rest.xml": GENERIC_SCENARIOS,
    "zendesk.xml": ZENDESK_SCENARIOS,
}


def _templates() -> list[Path]:
    return sorted(EXAMPLES.glob("*.xml")) + builtin_template_paths()


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.name)
def test_every_template_has_a_contract(path: Path) -> None:
    template = load_valid_template(path.read_bytes(), str(path))
    runnable = {s.id for s in template.scenarios if s.id not in NOT_RUN_ALONE}
    covered = {name.split("/")[0] for name in CONTRACTS.get(path.name, [])}
    assert runnable <= covered, f"{path.name}: no contract for {sorted(runnable - covered)}"


async def _run(connector: Connector, scenario: str, case: Case) -> ScenarioResult:
    return await connector.run(scenario.split("/")[0], case.variables)


@pytest.mark.parametrize("scenario", ACME_SCENARIOS)
async def test_acme_oauth2_template(
    scenario: str, desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    seed(desk)
    template = load_valid_template((EXAMPLES / "acme-oauth2.xml").read_bytes())
    connector = await authorized(template, ACME_FIELDS, http_client)
    token = (await connector.token_store.load()).access_token  # type: ignore[union-attr]
    case = acme_cases(token)[scenario]
    desk.requests.clear()
    result = await _run(connector, scenario, case)
    assert [received(r) for r in desk.requests] == case.requests
    case.check(result)
    assert all(entry.status in (200, 201) for entry in result.log)


@pytest.mark.parametrize("scenario", LISTDESK_SCENARIOS)
async def test_listdesk_basic_template(
    scenario: str, desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    seed(desk)
    template = load_valid_template((EXAMPLES / "basic-list-and-match.xml").read_bytes())
    async with Connector(template, LISTDESK_FIELDS, http_client=http_client) as connector:
        case = listdesk_cases()[scenario]
        result = await _run(connector, scenario, case)
    assert [received(r) for r in desk.requests] == case.requests
    case.check(result)


@pytest.mark.parametrize("scenario", GENERIC_SCENARIOS)
async def test_bundled_generic_rest_template(
    scenario: str, desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    seed(desk)
    template = load_builtin_template("generic-rest")
    async with Connector(template, GENERIC_FIELDS, http_client=http_client) as connector:
        case = generic_cases()[scenario]
        result = await _run(connector, scenario, case)
    assert [received(r) for r in desk.requests] == case.requests
    case.check(result)


@pytest.mark.parametrize("scenario", ZENDESK_SCENARIOS)
async def test_bundled_zendesk_template(scenario: str, zendesk: RunningEmulator) -> None:  # noqa: F811
    account = seed_zendesk(zendesk)
    existing = zendesk.emulator.tickets.create({"comment": {"body": "Printer"}}, account.caller)
    logged = {"from": "+15135557611", "to": "2005", "started_at": "2022-12-31T23:59:59Z"}
    zendesk.emulator.tickets.update(existing, {"voice_comment": logged}, account.admin)
    voice_comment_ids = [c.id for c in existing.comments if c.type == "VoiceComment"]
    assert len(voice_comment_ids) == 1
    async with httpx.AsyncClient(timeout=5.0) as http:
        connector = await connect_zendesk(zendesk, account, http)
        token = (await connector.token_store.load()).access_token  # type: ignore[union-attr]
        cases = zendesk_cases(account, token, existing.id, voice_comment_ids)
        assert list(cases) == ZENDESK_SCENARIOS
        case = cases[scenario]
        zendesk.emulator.recorder.clear()
        result = await _run(connector, scenario, case)
    assert [_zendesk_received(r) for r in zendesk.emulator.requests()] == case.requests
    case.check(result)
    assert all(entry.status in (200, 201) for entry in result.log)
    assert zendesk.emulator.validation_errors() == []
