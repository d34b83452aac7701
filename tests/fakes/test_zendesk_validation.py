# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""OpenAPI validation: requests are checked against Zendesk's official subset, mismatches are
recorded (and optionally refused), and the emulator's own answers match the subset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import (  # noqa: F401
    Account,
    api_token_auth,
    bearer,
    clock,
    http,
    obtain_tokens,
    seed_account,
    zendesk,
    zendesk_server,
)
from tests.fakes.zendesk.validation import OpenApiValidator


@pytest.fixture
def account(zendesk: RunningEmulator) -> Account:
    return seed_account(zendesk.emulator)


@pytest.fixture
def auth(zendesk: RunningEmulator, account: Account) -> httpx.BasicAuth:
    return api_token_auth("omar@acme.test", zendesk.emulator.add_api_token())


def _issues(zendesk: RunningEmulator, direction: str = "request") -> list[dict[str, Any]]:
    return [i.to_json() for i in zendesk.emulator.validation_errors(direction)]


def test_a_wrongly_typed_subject_is_recorded_with_its_location(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    body = {"ticket": {"subject": 123, "comment": {"body": "x"}}}
    http.post("/api/v2/tickets.json", json=body, auth=auth)
    issues = _issues(zendesk)
    assert len(issues) == 1
    assert issues[0]["operation"] == "CreateTicket"
    assert issues[0]["location"] == "body"
    assert any("ticket.subject" in d and "string" in d for d in issues[0]["details"])
    served = http.get("/_emulator/validation-errors").json()
    assert served == issues
    recorded = zendesk.emulator.requests("POST", "/api/v2/tickets")[0]
    assert recorded.id == issues[0]["request_id"]


def test_a_voice_comment_with_a_string_duration_is_recorded(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    created = http.post(
        "/api/v2/tickets", json={"ticket": {"subject": "s", "comment": {"body": "b"}}}, auth=auth
    )
    ticket_id = created.json()["ticket"]["id"]
    update = {"ticket": {"voice_comment": {"from": "+1555", "to": "+1556", "call_duration": "40"}}}
    response = http.put(f"/api/v2/tickets/{ticket_id}.json", json=update, auth=auth)
    assert response.status_code == 200  # Zendesk (Rails) coerces "40"; the mismatch is noted
    details = _issues(zendesk)[0]["details"]
    assert any("voice_comment.call_duration" in d for d in details)


def test_tpe_form_body_is_validated_as_json(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    form = {"ticket[via_id]": "45", "ticket[voice_comment][recording_type]": "video"}
    http.post("/api/v2/channels/voice/tickets", data=form, auth=auth)
    details = [d for issue in _issues(zendesk) for d in issue["details"]]
    assert any("recording_type" in d for d in details)


def test_good_requests_produce_no_issues(
    zendesk: RunningEmulator, http: httpx.Client, account: Account
) -> None:
    token = obtain_tokens(http, zendesk.emulator)["access_token"]
    headers = bearer(token)
    caller = http.post(
        "/api/v2/users.json",
        json={"user": {"name": "Caller: 15551234567", "phone": "+15551234567"}},
        headers=headers,
    ).json()["user"]
    http.get(
        "/api/v2/search.json", params={"query": "role:end-user phone:*5551234567"}, headers=headers
    )
    http.get(
        "/api/v2/users.json",
        params=[("role[]", "agent"), ("role[]", "admin"), ("page[size]", "100")],
        headers=headers,
    )
    http.get(f"/api/v2/users/{caller['id']}/identities.json", headers=headers)
    http.post(
        f"/api/v2/users/{caller['id']}/identities.json",
        json={"identity": {"type": "phone_number", "value": "+1 555-123-4567"}},
        headers=headers,
    )
    ticket = http.post(
        "/api/v2/tickets.json",
        headers=headers,
        json={
            "ticket": {
                "subject": "Inbound call",
                "requester_id": caller["id"],
                "assignee_id": account.agent.id,
                "comment": {"body": "Call details", "public": False},
                "tags": ["pbx"],
            }
        },
    ).json()["ticket"]
    http.put(
        f"/api/v2/tickets/{ticket['id']}.json",
        headers=headers,
        json={
            "ticket": {
                "voice_comment": {
                    "from": "+15551234567",
                    "to": "+15557654321",
                    "recording_url": "https://deskline.example/r/a.wav",
                    "started_at": "2019-04-16T09:14:57Z",
                    "call_duration": 40,
                },
            }
        },
    )
    http.post(
        "/api/v2/channels/voice/tickets.json",
        headers=headers,
        json={
            "display_to_agent": account.agent.id,
            "ticket": {
                "via_id": 46,
                "requester_id": caller["id"],
                "voice_comment": {
                    "from": "+16617480240",
                    "to": "+16617480123",
                    "recording_type": "call",
                    "started_at": "2019-04-16T09:14:57Z",
                    "call_duration": 40,
                    "answered_by_id": 28,
                },
            },
        },
    )
    http.post(
        f"/api/v2/channels/voice/agents/{account.agent.id}/users/{caller['id']}/display.json",
        headers=headers,
    )
    assert _issues(zendesk) == []
    statuses = {r.status for r in zendesk.emulator.requests(path="/api/*")}
    assert statuses <= {200, 201}


def test_the_emulators_answers_match_the_subset(
    zendesk: RunningEmulator, http: httpx.Client, account: Account, auth: httpx.BasicAuth
) -> None:
    """Responses are validated as they are sent (tolerating the nulls the reference lists);
    this drives every subset operation and expects no response issue."""
    tokens = obtain_tokens(http, zendesk.emulator)
    assert tokens["access_token"]
    zendesk.emulator.configure(expires_in_null=True)
    obtain_tokens(http, zendesk.emulator)  # expires_in: null is tolerated
    user = http.post("/api/v2/users", json={"user": {"name": "Caller"}}, auth=auth).json()["user"]
    http.get(f"/api/v2/users/{user['id']}", auth=auth)
    http.get("/api/v2/users", auth=auth)
    http.get("/api/v2/users/search", params={"query": "Caller"}, auth=auth)
    http.get("/api/v2/search", params={"query": "type:user Caller"}, auth=auth)
    http.post(
        f"/api/v2/users/{user['id']}/identities",
        json={"identity": {"type": "email", "value": "c@example.com"}},
        auth=auth,
    )
    http.get(f"/api/v2/users/{user['id']}/identities", auth=auth)
    ticket = http.post(
        "/api/v2/tickets", auth=auth, json={"ticket": {"comment": {"body": "b"}}}
    ).json()["ticket"]
    http.get(f"/api/v2/tickets/{ticket['id']}", auth=auth)
    http.put(
        f"/api/v2/tickets/{ticket['id']}",
        auth=auth,
        json={"ticket": {"status": "open", "priority": "high"}},
    )
    http.post(
        "/api/v2/channels/voice/tickets",
        auth=auth,
        json={"ticket": {"via_id": 44, "voice_comment": {"from": "+1555"}}},
    )
    validator = zendesk.emulator.validator
    operations = {
        operation.operation_id
        for r in zendesk.emulator.requests()
        if (operation := validator.operation(r.method, r.path)) is not None and r.status
    }
    assert len(operations) == 12  # all but the two display operations (empty bodies)
    assert _issues(zendesk, "response") == []


def test_reject_switch_answers_400_and_creates_nothing(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.configure(reject_invalid_requests=True)
    bad = http.post(
        "/api/v2/tickets", json={"ticket": {"subject": 123, "comment": {"body": "x"}}}, auth=auth
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "InvalidRequest"
    assert "ticket.subject" in str(bad.json()["details"])
    assert zendesk.emulator.store.tickets == {}
    good = http.post(
        "/api/v2/tickets", json={"ticket": {"subject": "ok", "comment": {"body": "x"}}}, auth=auth
    )
    assert good.status_code == 201


def test_response_validation_catches_a_wrong_answer() -> None:
    validator = OpenApiValidator()
    wrong = b'{"user": {"id": "not-a-number", "name": 5}}'
    issues = validator.response_issues("GET", "/api/v2/users/1", 200, "application/json", wrong)
    assert issues and issues[0].direction == "response" and issues[0].location == "body"
    token = b'{"access_token": "a", "token_type": "bearer", "expires_in": null}'
    assert validator.response_issues("POST", "/oauth/tokens", 201, "application/json", token) == []


def test_prose_schemas_cover_the_operations_without_a_request_body() -> None:
    validator = OpenApiValidator()
    token_issues = validator.request_issues(
        "POST", "/oauth/tokens", [], {}, b'{"grant_type": "authorization_code", "client_id": "d"}'
    )
    assert {d for i in token_issues for d in i.details} == {
        "(root): 'code' is a required property",
        "(root): 'redirect_uri' is a required property",
    }
    identity_issues = validator.request_issues(
        "POST", "/api/v2/users/5/identities", [], {}, b'{"identity": {"type": "phone_number"}}'
    )
    assert any("'value' is a required property" in d for i in identity_issues for d in i.details)
    assert (
        validator.request_issues(
            "POST",
            "/api/v2/users/5/identities",
            [],
            {},
            b'{"identity": {"type": "phone_number", "value": "+15551234567"}}',
        )
        == []
    )


def test_query_parameters_are_checked() -> None:
    validator = OpenApiValidator()
    missing = validator.request_issues("GET", "/api/v2/search", [], {}, None)
    assert [i.location for i in missing] == ["query"]
    bad_page = validator.request_issues("GET", "/api/v2/users", [("page[size]", "zero")], {}, None)
    assert [i.location for i in bad_page] == ["query"]
    assert validator.request_issues("GET", "/api/v2/users", [("page", "2")], {}, None) == []


def test_requests_outside_the_subset_are_not_judged() -> None:
    validator = OpenApiValidator()
    assert validator.operation("GET", "/api/v2/tickets/1/comments") is None
    assert validator.request_issues("GET", "/api/v2/tickets/1/comments", [], {}, b"{") == []
    assert validator.operation("GET", "/api/v2/users/search") is not None
    operation = validator.operation("GET", "/api/v2/users/search")
    assert operation is not None and operation.operation_id == "SearchUsers"
