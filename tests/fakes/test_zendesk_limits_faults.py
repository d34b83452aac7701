# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""Rate limits, 429 storms and injected faults over real HTTP (§1.8 and the fault switches)."""

from __future__ import annotations

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


def test_every_api_response_carries_rate_limit_headers(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.configure(rate_limit_per_minute=400)
    first = http.get("/api/v2/users.json", auth=auth)
    second = http.get("/api/v2/users/999.json", auth=auth)  # a 404 counts too
    assert first.headers["x-rate-limit"] == "400"
    assert first.headers["x-rate-limit-remaining"] == "399"
    assert second.headers["x-rate-limit-remaining"] == "398"
    assert "ratelimit-remaining" not in first.headers


def test_ticket_endpoints_carry_the_ticket_headers(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    response = http.get("/api/v2/tickets/1.json", auth=auth)
    assert response.headers["ratelimit-limit"] == "700"
    assert response.headers["ratelimit-remaining"] == "699"
    assert 1 <= int(response.headers["ratelimit-reset"]) <= 60
    index = response.headers["zendesk-ratelimit-tickets-index"]
    assert index.startswith("total=100; remaining=99; resets=")


def test_exceeding_the_limit_answers_429_until_the_window_ends(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth, clock: ManualClock
) -> None:
    zendesk.emulator.configure(rate_limit_per_minute=3)
    clock.advance(60 - clock.now() % 60 + 15)  # 15 s into a minute window
    statuses = [http.get("/api/v2/users", auth=auth).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = http.get("/api/v2/users", auth=auth)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "45"
    assert limited.headers["x-rate-limit-remaining"] == "0"
    clock.advance(45)
    assert http.get("/api/v2/users", auth=auth).status_code == 200


def test_429_storm_for_a_number_of_requests(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.start_429_storm(requests=2, retry_after=7)
    first, second, third = (http.get("/api/v2/users", auth=auth) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["retry-after"] == "7"


def test_429_storm_for_a_duration_through_the_control_api(
    http: httpx.Client, auth: httpx.BasicAuth, clock: ManualClock
) -> None:
    started = http.post("/_emulator/rate-limit/storm", json={"seconds": 30, "retry_after": 5})
    assert started.status_code == 201
    assert http.get("/api/v2/users", auth=auth).status_code == 429
    clock.advance(29)
    assert http.get("/api/v2/users", auth=auth).status_code == 429
    clock.advance(1)
    assert http.get("/api/v2/users", auth=auth).status_code == 200


def test_error_fault_for_n_requests_on_a_route_pattern(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.inject_fault("/api/v2/tickets*", "error", status=502, times=2)
    body = {"ticket": {"subject": "x", "comment": {"body": "y"}}}
    statuses = [
        http.post("/api/v2/tickets.json", json=body, auth=auth).status_code for _ in range(3)
    ]
    assert statuses == [502, 502, 201]
    assert http.get("/api/v2/users", auth=auth).status_code == 200  # other routes untouched
    assert [r.fault for r in zendesk.emulator.requests("POST", "/api/v2/tickets")] == [
        "error",
        "error",
        None,
    ]


def test_error_fault_for_a_duration_through_the_control_api(
    http: httpx.Client, auth: httpx.BasicAuth, clock: ManualClock
) -> None:
    created = http.post(
        "/_emulator/faults",
        json={"pattern": "/api/v2/search", "kind": "error", "status": 503, "seconds": 10},
    )
    assert created.status_code == 201
    search = {"query": "phone:*1"}
    assert http.get("/api/v2/search", params=search, auth=auth).status_code == 503
    clock.advance(10)
    assert http.get("/api/v2/search", params=search, auth=auth).status_code == 200
    assert http.get("/_emulator/faults").json() == []


def test_dropped_connection_is_a_protocol_error_for_the_client(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.inject_fault("/api/v2/users*", "drop", times=1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.get("/api/v2/users.json", auth=auth)
    assert http.get("/api/v2/users.json", auth=auth).status_code == 200


def test_slow_response_makes_a_short_client_timeout_fire(
    zendesk: RunningEmulator, http: httpx.Client, auth: httpx.BasicAuth
) -> None:
    zendesk.emulator.inject_fault("/api/v2/users", "delay", delay_seconds=0.5, times=1)
    with pytest.raises(httpx.ReadTimeout):
        http.get("/api/v2/users", auth=auth, timeout=0.1)
    assert http.get("/api/v2/users", auth=auth, timeout=0.1).status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        {"pattern": "/api/*", "kind": "error", "status": 404},
        {"pattern": "/api/*", "kind": "delay"},
        {"pattern": "", "kind": "drop"},
        {"pattern": "/api/*", "kind": "explode"},
    ],
)
def test_bad_fault_requests_get_a_clear_422(http: httpx.Client, fault: dict[str, object]) -> None:
    response = http.post("/_emulator/faults", json=fault)
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidControlRequest"
