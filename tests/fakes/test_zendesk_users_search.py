# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""Users, identities and search against the emulator over real HTTP (§1.4-1.5)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.zendesk import ManualClock, RunningEmulator
from tests.fakes.zendesk.testing import (  # noqa: F401
    api_token_auth,
    clock,
    http,
    seed_account,
    zendesk,
    zendesk_server,
)


@pytest.fixture
def auth(zendesk: RunningEmulator) -> httpx.BasicAuth:
    seed_account(zendesk.emulator)
    return api_token_auth("kristin@acme.test", zendesk.emulator.add_api_token())


def _search(http: httpx.Client, auth: httpx.BasicAuth, query: str) -> list[dict[str, Any]]:
    response = http.get("/api/v2/search.json", params={"query": query}, auth=auth)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


@pytest.mark.parametrize("stored", ["+1 513.555.7611", "(513) 555-7611", "+15135557611"])
def test_phone_wildcard_matches_any_formatting(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, stored: str
) -> None:
    zendesk.emulator.add_user("Ruth Baker", phone=stored)
    results = _search(http, auth, "role:end-user phone:*5135557611")
    assert [r["name"] for r in results] == ["Ruth Baker"]
    assert results[0]["result_type"] == "user"


def test_phone_without_wildcard_needs_the_exact_digits(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.add_user("Ruth Baker", phone="+1 513.555.7611")
    assert _search(http, auth, "phone:5135557611") == []
    assert [r["name"] for r in _search(http, auth, "phone:15135557611")] == ["Ruth Baker"]
    assert _search(http, auth, "phone:+15135557611") == []  # digits only


def test_role_term_filters_and_other_numbers_do_not_match(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.add_user("Caller", phone="+15135557611")
    zendesk.emulator.add_agent("Agent With Phone", "a@acme.test", phone="+15135557611")
    zendesk.emulator.add_user("Someone Else", phone="+15135550000")
    names = [r["name"] for r in _search(http, auth, "role:end-user phone:*5135557611")]
    assert names == ["Caller"]
    agents = _search(http, auth, "role:agent phone:*5135557611")
    assert [r["name"] for r in agents] == ["Agent With Phone"]


def test_extra_phone_identity_is_searchable(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    user = zendesk.emulator.add_user("Ruth Baker", phone="+15135557611")
    created = http.post(
        f"/api/v2/users/{user.id}/identities.json",
        json={"identity": {"type": "phone_number", "value": "+1 555-123-4567"}},
        auth=auth,
    )
    assert created.status_code == 201
    assert created.json()["identity"]["primary"] is False
    assert [r["id"] for r in _search(http, auth, "phone:*5551234567")] == [user.id]


def test_new_user_is_not_searchable_until_the_indexing_delay_passed(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, clock: ManualClock
) -> None:
    zendesk.emulator.configure(search_index_delay=90)
    created = http.post(
        "/api/v2/users.json",
        json={"user": {"name": "Caller: 15551234567", "phone": "+15551234567"}},
        auth=auth,
    )
    assert created.status_code == 201
    user_id = created.json()["user"]["id"]
    assert _search(http, auth, "phone:*5551234567") == []
    assert http.get(f"/api/v2/users/{user_id}.json", auth=auth).status_code == 200  # not search
    clock.advance(89)
    assert _search(http, auth, "phone:*5551234567") == []
    clock.advance(1)
    assert [r["id"] for r in _search(http, auth, "phone:*5551234567")] == [user_id]


def test_an_update_is_searchable_only_after_the_delay(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, clock: ManualClock
) -> None:
    user = zendesk.emulator.add_user("Ruth Baker", phone="+15135557611")
    zendesk.emulator.configure(search_index_delay=60)
    updated = http.put(
        f"/api/v2/users/{user.id}.json", json={"user": {"name": "Ruth B. Baker"}}, auth=auth
    )
    assert updated.status_code == 200
    assert [r["name"] for r in _search(http, auth, "phone:*7611")] == ["Ruth Baker"]
    clock.advance(60)
    assert [r["name"] for r in _search(http, auth, "phone:*7611")] == ["Ruth B. Baker"]


def test_search_pages_with_offsets(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    for n in range(5):
        zendesk.emulator.add_user(f"Caller {n}", phone=f"+1513555761{n}")
    first = http.get(
        "/api/v2/search", params={"query": "phone:*51355576*", "per_page": 2}, auth=auth
    ).json()
    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous_page"] is None
    second = http.get(first["next_page"], auth=auth).json()
    assert [r["name"] for r in second["results"]] == ["Caller 2", "Caller 3"]


def test_search_unavailable_switch(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.configure(search_unavailable=True)
    response = http.get("/api/v2/search.json", params={"query": "phone:*1"}, auth=auth)
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"


def test_users_search_endpoint_finds_by_phone_and_external_id(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.add_user("Ruth Baker", phone="+15135557611", external_id="crm-7")
    by_phone = http.get("/api/v2/users/search.json", params={"query": "5557611"}, auth=auth)
    assert [u["name"] for u in by_phone.json()["users"]] == ["Ruth Baker"]
    by_id = http.get("/api/v2/users/search.json", params={"external_id": "crm-7"}, auth=auth)
    assert [u["name"] for u in by_id.json()["users"]] == ["Ruth Baker"]


def test_create_user_makes_a_phone_identity_and_defaults_to_end_user(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    created = http.post(
        "/api/v2/users",
        json={"user": {"name": "Caller: 15551234567", "phone": "+15551234567"}},
        auth=auth,
    )
    assert created.status_code == 201
    user = created.json()["user"]
    assert user["role"] == "end-user"
    identities = http.get(f"/api/v2/users/{user['id']}/identities.json", auth=auth).json()
    assert [(i["type"], i["value"]) for i in identities["identities"]] == [
        ("phone_number", "+15551234567")
    ]


@pytest.mark.parametrize("body", [{"user": {"name": ""}}, {"user": {"phone": "+15551234567"}}])
def test_create_user_without_name_is_record_invalid(
    http: httpx.Client, auth: httpx.BasicAuth, body: dict[str, Any]
) -> None:
    response = http.post("/api/v2/users.json", json=body, auth=auth)
    assert response.status_code == 422
    assert response.json()["error"] == "RecordInvalid"
    assert response.json()["description"] == "Record validation errors"
    assert "name" in response.json()["details"]


def test_e164_validation_switch(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    body = {"user": {"name": "Caller", "phone": "555-1234"}}
    assert http.post("/api/v2/users", json=body, auth=auth).status_code == 201
    zendesk.emulator.configure(validate_phone_numbers=True)
    refused = http.post("/api/v2/users", json=body, auth=auth)
    assert refused.status_code == 422
    assert "phone" in refused.json()["details"]
    good = {"user": {"name": "Caller", "phone": "+15135557611"}}
    assert http.post("/api/v2/users", json=good, auth=auth).status_code == 201


def test_unknown_user_is_record_not_found(http: httpx.Client, auth: httpx.BasicAuth) -> None:
    response = http.get("/api/v2/users/424242.json", auth=auth)
    assert response.status_code == 404
    assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_cursor_pagination_over_250_agents(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    for n in range(248):  # + the admin and the agent of the seeded account
        zendesk.emulator.add_agent(f"Agent {n}", f"agent{n}@acme.test")
    for n in range(30):
        zendesk.emulator.add_user(f"Customer {n}")
    seen: list[int] = []
    url: str | None = "/api/v2/users.json?role[]=agent&role[]=admin&page[size]=100"
    pages = 0
    while url:
        body = http.get(url, auth=auth).json()
        pages += 1
        seen += [u["id"] for u in body["users"]]
        assert all(u["role"] in ("agent", "admin") for u in body["users"])
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    assert pages == 3
    assert len(seen) == 250
    assert len(set(seen)) == 250


def test_page_size_over_100_is_refused(http: httpx.Client, auth: httpx.BasicAuth) -> None:
    response = http.get("/api/v2/users.json", params={"page[size]": 101}, auth=auth)
    assert response.status_code == 400


def test_offset_pagination_past_10000_records_is_400(
    http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    last_allowed = http.get("/api/v2/users.json", params={"page": 100, "per_page": 100}, auth=auth)
    assert last_allowed.status_code == 200
    beyond = http.get("/api/v2/users.json", params={"page": 101, "per_page": 100}, auth=auth)
    assert beyond.status_code == 400
    assert "cursor" in beyond.json()["description"]


def test_offset_pagination_pages_through_users(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    for n in range(3):
        zendesk.emulator.add_user(f"Customer {n}")
    first = http.get("/api/v2/users.json", params={"per_page": 3}, auth=auth).json()
    assert first["count"] == 5
    second = http.get(first["next_page"], auth=auth).json()
    assert len(second["users"]) == 2
    assert second["next_page"] is None


def test_identities_list_filters_by_type(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    user = zendesk.emulator.add_user("Ruth", phone="+15135557611", email="ruth@example.com")
    body = http.get(
        f"/api/v2/users/{user.id}/identities", params={"type[]": "phone_number"}, auth=auth
    ).json()
    assert [i["type"] for i in body["identities"]] == ["phone_number"]


def test_bad_identity_is_record_invalid(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    user = zendesk.emulator.add_user("Ruth")
    response = http.post(
        f"/api/v2/users/{user.id}/identities",
        json={"identity": {"type": "fax", "value": "123"}},
        auth=auth,
    )
    assert response.status_code == 422
