# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""The incremental user export (cursor based) as Zendesk documents it: ordered by last change,
paged by cursor, the last minute left out, ``end_of_stream`` and an ``after_cursor`` to poll
again from."""

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

PATH = "/api/v2/incremental/users/cursor.json"


@pytest.fixture
def auth(zendesk: RunningEmulator) -> httpx.BasicAuth:
    seed_account(zendesk.emulator)
    return api_token_auth("kristin@acme.test", zendesk.emulator.add_api_token())


def export(http: httpx.Client, auth: httpx.BasicAuth, **params: object) -> dict[str, Any]:
    response = http.get(PATH, params=params, auth=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [u["name"] for u in body["users"]]


def test_pages_by_cursor_in_order_of_change_and_ends_the_stream(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, clock: ManualClock
) -> None:
    clock.advance(10)  # the account's agents were changed before the start time
    start = int(clock.now())
    for name in ("Ana Ruiz", "Li Wei", "Sam Cole"):
        clock.advance(1)
        zendesk.emulator.add_user(name, phone="+15135557611")
    clock.advance(61)

    first = export(http, auth, start_time=start, per_page=2)
    assert names(first) == ["Ana Ruiz", "Li Wei"]
    assert first["end_of_stream"] is False
    rest = export(http, auth, cursor=first["after_cursor"], per_page=2)
    assert names(rest) == ["Sam Cole"] and rest["end_of_stream"] is True
    assert set(first) >= {"after_url", "after_cursor", "before_url", "before_cursor"}
    assert first["after_url"].endswith(f"cursor={first['after_cursor']}")

    # nothing new: an empty page that keeps the position
    again = export(http, auth, cursor=rest["after_cursor"])
    assert again["users"] == [] and again["end_of_stream"] is True
    assert again["after_cursor"] == rest["after_cursor"]


def test_a_changed_user_comes_again_once_the_minute_has_passed(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, clock: ManualClock
) -> None:
    user = zendesk.emulator.add_user("Ruth Baker", phone="+15135557611")
    clock.advance(61)
    cursor = export(http, auth, start_time=int(clock.now()) - 3600)["after_cursor"]

    response = http.put(
        f"/api/v2/users/{user.id}.json", json={"user": {"name": "Ruth Baker-Hale"}}, auth=auth
    )
    assert response.status_code == 200, response.text
    assert export(http, auth, cursor=cursor)["users"] == []  # changed within the last minute
    clock.advance(61)
    changed = export(http, auth, cursor=cursor)
    assert names(changed) == ["Ruth Baker-Hale"]


def test_bad_requests_are_refused(http: httpx.Client, auth: httpx.BasicAuth) -> None:
    assert http.get(PATH, auth=auth).status_code == 400
    assert http.get(PATH, params={"start_time": "yesterday"}, auth=auth).status_code == 400
    assert http.get(PATH, params={"cursor": "@@@"}, auth=auth).status_code == 400
    assert http.get(PATH, params={"start_time": 0}).status_code == 401
