# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""Tickets, voice comments, Idempotency-Key and Talk Partner Edition over real HTTP
(§1.6-1.7, §1.9)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.zendesk import ManualClock, RunningEmulator
from tests.fakes.zendesk.testing import (  # noqa: F401
    Account,
    api_token_auth,
    clock,
    http,
    seed_account,
    zendesk,
    zendesk_server,
)

VOICE_COMMENT = {
    "from": "+15551234567",
    "to": "+15557654321",
    "recording_url": "https://deskline.example/r/abc.wav",
    "started_at": "2019-04-16T09:14:57Z",
    "call_duration": 40,
}


@pytest.fixture
def account(zendesk: RunningEmulator) -> Account:
    return seed_account(zendesk.emulator)


@pytest.fixture
def auth(zendesk: RunningEmulator, account: Account) -> httpx.BasicAuth:
    return api_token_auth("omar@acme.test", zendesk.emulator.add_api_token())


@pytest.fixture
def caller(zendesk: RunningEmulator) -> int:
    return zendesk.emulator.add_user("Ruth Baker", phone="+15551234567").id


def _ticket_body(requester_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "ticket": {
            "subject": "Inbound call from +15551234567",
            "requester_id": requester_id,
            "comment": {"body": "Call details", "public": False},
            "tags": ["pbx"],
            **extra,
        }
    }


def test_create_ticket_answers_201_with_location(
    http: httpx.Client, auth: httpx.BasicAuth, caller: int, account: Account
) -> None:
    response = http.post("/api/v2/tickets.json", json=_ticket_body(caller), auth=auth)
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert response.headers["location"].endswith(f"/api/v2/tickets/{ticket['id']}.json")
    assert ticket["requester_id"] == caller
    assert ticket["submitter_id"] == account.agent.id
    assert ticket["description"] == "Call details"
    assert ticket["status"] == "new"
    assert ticket["via"]["channel"] == "api"
    shown = http.get(response.headers["location"], auth=auth)
    assert shown.json()["ticket"]["subject"] == "Inbound call from +15551234567"


def test_ticket_without_any_comment_is_record_invalid(
    http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    body = {"ticket": {"subject": "No description", "requester_id": caller}}
    response = http.post("/api/v2/tickets", json=body, auth=auth)
    assert response.status_code == 422
    assert response.json()["error"] == "RecordInvalid"


def test_unknown_ticket_is_record_not_found(http: httpx.Client, auth: httpx.BasicAuth) -> None:
    response = http.get("/api/v2/tickets/999.json", auth=auth)
    assert response.status_code == 404
    assert response.json()["error"] == "RecordNotFound"


def test_voice_comment_update_returns_audit_and_shows_in_comments(
    http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    ticket_id = http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth).json()["ticket"][
        "id"
    ]
    update = {"ticket": {"voice_comment": VOICE_COMMENT, "status": "solved"}}
    response = http.put(f"/api/v2/tickets/{ticket_id}.json", json=update, auth=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["ticket"]["status"] == "solved"
    event_types = [e["type"] for e in body["audit"]["events"]]
    assert "VoiceComment" in event_types and "Change" in event_types
    comments = http.get(f"/api/v2/tickets/{ticket_id}/comments.json", auth=auth).json()
    assert [c["type"] for c in comments["comments"]] == ["Comment", "VoiceComment"]
    voice = comments["comments"][1]
    assert voice["data"]["recording_url"] == "https://deskline.example/r/abc.wav"
    assert voice["data"]["call_duration"] == 40
    assert voice["public"] is False


def test_voice_comment_with_a_bad_duration_is_refused(
    http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    ticket_id = http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth).json()["ticket"][
        "id"
    ]
    bad = {"ticket": {"voice_comment": VOICE_COMMENT | {"call_duration": "forty"}}}
    response = http.put(f"/api/v2/tickets/{ticket_id}", json=bad, auth=auth)
    assert response.status_code == 422
    comments = http.get(f"/api/v2/tickets/{ticket_id}/comments", auth=auth).json()["comments"]
    assert len(comments) == 1


def test_comment_cap_is_enforced(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    zendesk.emulator.configure(comment_cap=3)  # 5,000 in Zendesk; the rule is what matters
    ticket_id = http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth).json()["ticket"][
        "id"
    ]
    note = {"ticket": {"comment": {"body": "note", "public": False}}}
    for _ in range(2):
        assert http.put(f"/api/v2/tickets/{ticket_id}", json=note, auth=auth).status_code == 200
    refused = http.put(f"/api/v2/tickets/{ticket_id}", json=note, auth=auth)
    assert refused.status_code == 422
    assert refused.json()["error"] == "RecordInvalid"


def test_closed_ticket_cannot_be_updated(
    http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    created = http.post("/api/v2/tickets", json=_ticket_body(caller, status="closed"), auth=auth)
    ticket_id = created.json()["ticket"]["id"]
    update = {"ticket": {"voice_comment": VOICE_COMMENT}}
    assert http.put(f"/api/v2/tickets/{ticket_id}", json=update, auth=auth).status_code == 422


def test_idempotency_key_miss_then_hit_with_the_original_answer(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    headers = {"Idempotency-Key": "call-42:create-ticket"}
    first = http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth, headers=headers)
    assert first.status_code == 201
    assert first.headers["x-idempotency-lookup"] == "miss"
    again = http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth, headers=headers)
    assert again.status_code == 201
    assert again.headers["x-idempotency-lookup"] == "hit"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert len(zendesk.emulator.store.tickets) == 1


def test_idempotency_key_with_other_parameters_is_400(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    headers = {"Idempotency-Key": "call-42:create-ticket"}
    http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth, headers=headers)
    other = _ticket_body(caller, subject="Something else")
    response = http.post("/api/v2/tickets", json=other, auth=auth, headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "error": "IdempotentRequestError",
        "description": "Request parameters don't match the given idempotency key",
    }
    assert len(zendesk.emulator.store.tickets) == 1


def test_idempotency_keys_expire_after_two_hours(
    zendesk: RunningEmulator,
    http: httpx.Client,
    auth: httpx.BasicAuth,
    caller: int,
    clock: ManualClock,
) -> None:
    headers = {"Idempotency-Key": "call-42:create-ticket"}
    http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth, headers=headers)
    clock.advance(2 * 3600)
    late = http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth, headers=headers)
    assert late.headers["x-idempotency-lookup"] == "miss"
    assert len(zendesk.emulator.store.tickets) == 2


# Talk Partner Edition ------------------------------------------------------------------


def _voice_ticket(requester_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "ticket": {
            "via_id": 45,
            "subject": "Inbound call",
            "requester_id": requester_id,
            "voice_comment": VOICE_COMMENT | {"answered_by_id": None},
            **extra,
        }
    }


def test_voice_ticket_with_display_to_agent_pops_the_ticket(
    zendesk: RunningEmulator,
    http: httpx.Client,
    auth: httpx.BasicAuth,
    caller: int,
    account: Account,
) -> None:
    body = _voice_ticket(caller) | {"display_to_agent": account.agent.id}
    response = http.post("/api/v2/channels/voice/tickets.json", json=body, auth=auth)
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert ticket["via"]["channel"] == "voice"
    assert [(d.kind, d.agent_id, d.target_id) for d in zendesk.emulator.displays] == [
        ("ticket", account.agent.id, ticket["id"])
    ]


def test_voice_ticket_accepts_form_encoding(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    form = {
        "ticket[via_id]": "44",
        "ticket[requester_id]": str(caller),
        "ticket[voice_comment][from]": "+15551234567",
        "ticket[voice_comment][to]": "+15557654321",
        "ticket[voice_comment][recording_url]": "https://deskline.example/r/vm.mp3",
        "ticket[voice_comment][recording_type]": "voicemail",
        "ticket[voice_comment][started_at]": "2013-07-11 15:31:44 +0000",
        "ticket[voice_comment][call_duration]": "12",
    }
    response = http.post("/api/v2/channels/voice/tickets", data=form, auth=auth)
    assert response.status_code == 201
    assert response.json()["ticket"]["via"]["source"]["rel"] == "voicemail"
    ticket = zendesk.emulator.store.tickets[response.json()["ticket"]["id"]]
    voice = ticket.comments[-1].voice
    assert voice is not None
    assert voice["call_duration"] == 12


def test_invalid_display_to_agent_is_422_and_creates_nothing(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, caller: int
) -> None:
    body = _voice_ticket(caller) | {"display_to_agent": caller}  # an end-user, not an agent
    response = http.post("/api/v2/channels/voice/tickets", json=body, auth=auth)
    assert response.status_code == 422
    assert response.content == b""
    assert zendesk.emulator.store.tickets == {}


@pytest.mark.parametrize("via_id", [None, 47])
def test_voice_ticket_needs_a_valid_via_id(
    zendesk: RunningEmulator,
    http: httpx.Client,
    auth: httpx.BasicAuth,
    caller: int,
    via_id: int | None,
) -> None:
    body = _voice_ticket(caller, via_id=via_id)
    response = http.post("/api/v2/channels/voice/tickets", json=body, auth=auth)
    assert response.status_code == 422
    assert zendesk.emulator.store.tickets == {}


def test_display_endpoints_answer_200_empty_or_404_and_are_recorded(
    zendesk: RunningEmulator,
    http: httpx.Client,
    auth: httpx.BasicAuth,
    caller: int,
    account: Account,
) -> None:
    agent = account.agent.id
    shown = http.post(
        f"/api/v2/channels/voice/agents/{agent}/users/{caller}/display.json", auth=auth
    )
    assert shown.status_code == 200
    assert shown.content == b""
    missing = http.post(f"/api/v2/channels/voice/agents/{agent}/tickets/999/display", auth=auth)
    assert missing.status_code == 404
    not_agent = http.post(
        f"/api/v2/channels/voice/agents/{caller}/users/{caller}/display", auth=auth
    )
    assert not_agent.status_code == 404
    recorded = [d.to_json() for d in zendesk.emulator.displays]
    assert [(d["kind"], d["target_id"], d["delivered"]) for d in recorded] == [
        ("user", caller, True),
        ("ticket", 999, False),
        ("user", caller, False),
    ]
    assert http.get("/_emulator/displays").json() == recorded


def test_tpe_off_answers_403_everywhere(
    zendesk: RunningEmulator,
    http: httpx.Client,
    auth: httpx.BasicAuth,
    caller: int,
    account: Account,
) -> None:
    zendesk.emulator.configure(tpe_enabled=False)
    created = http.post("/api/v2/channels/voice/tickets", json=_voice_ticket(caller), auth=auth)
    assert created.status_code == 403
    agent = account.agent.id
    pop = http.post(f"/api/v2/channels/voice/agents/{agent}/users/{caller}/display", auth=auth)
    assert pop.status_code == 403
    assert zendesk.emulator.store.tickets == {}
    assert zendesk.emulator.displays == []
    # the Tickets API still works without TPE
    assert http.post("/api/v2/tickets", json=_ticket_body(caller), auth=auth).status_code == 201
