# ruff: noqa: F811  (pytest fixtures imported from tests.fakes.zendesk.testing)
"""The control API, the request log, the state dump, and starting the emulator on its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.zendesk import ManualClock, RunningEmulator, ZendeskEmulator, running_emulator
from tests.fakes.zendesk.testing import (  # noqa: F401
    REDIRECT_URI,
    api_token_auth,
    bearer,
    clock,
    http,
    obtain_tokens,
    zendesk,
    zendesk_server,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_seeding_over_http_and_the_state_dump(zendesk: RunningEmulator, http: httpx.Client) -> None:
    admin = http.post(
        "/_emulator/users",
        json={
            "name": "Kristin Hale",
            "role": "admin",
            "email": "kristin@acme.test",
        },
    )
    assert admin.status_code == 201
    caller = http.post("/_emulator/users", json={"name": "Ruth", "phone": "+15135557611"})
    client = http.post(
        "/_emulator/oauth/clients",
        json={
            "identifier": "deskline",
            "redirect_urls": [REDIRECT_URI],
            "kind": "confidential",
        },
    )
    assert client.status_code == 201
    assert len(client.json()["secret"]) == 64  # shown in full once
    token = http.post("/_emulator/api-tokens", json={}).json()["token"]
    auth = api_token_auth("kristin@acme.test", token)
    ticket = http.post(
        "/api/v2/tickets.json",
        auth=auth,
        json={
            "ticket": {
                "requester_id": caller.json()["user"]["id"],
                "comment": {"body": "hello"},
            }
        },
    )
    assert ticket.status_code == 201
    state = http.get("/_emulator/state").json()
    assert [u["name"] for u in state["users"]] == ["Kristin Hale", "Ruth"]
    assert state["users"][1]["identities"][0]["value"] == "+15135557611"
    assert state["tickets"][0]["comments"][0]["body"] == "hello"
    assert state["displays"] == []


def test_bad_control_input_is_a_clear_422(http: httpx.Client) -> None:
    no_name = http.post("/_emulator/users", json={"phone": "+1555"})
    assert no_name.status_code == 422
    bad_config = http.patch("/_emulator/config", json={"rate_limit_per_minute": 0})
    assert bad_config.status_code == 422
    unknown = http.patch("/_emulator/config", json={"no_such_switch": True})
    assert unknown.status_code == 422
    no_urls = http.post("/_emulator/oauth/clients", json={"identifier": "x", "redirect_urls": []})
    assert no_urls.status_code == 422


def test_config_patch_is_all_or_nothing(zendesk: RunningEmulator, http: httpx.Client) -> None:
    refused = http.patch("/_emulator/config", json={"tpe_enabled": False, "comment_cap": -1})
    assert refused.status_code == 422
    assert zendesk.emulator.config.tpe_enabled is True
    changed = http.patch(
        "/_emulator/config", json={"tpe_enabled": False, "consent_mode": "auto-deny"}
    )
    assert changed.json()["tpe_enabled"] is False
    assert zendesk.emulator.config.consent_mode == "auto-deny"


def test_request_log_masks_secrets(zendesk: RunningEmulator, http: httpx.Client) -> None:
    zendesk.emulator.add_agent("Kristin Hale", "kristin@acme.test", admin=True)
    client = zendesk.emulator.register_oauth_client("deskline", [REDIRECT_URI])
    tokens = obtain_tokens(http, zendesk.emulator)
    http.get(
        "/api/v2/users.json", params={"role[]": "agent"}, headers=bearer(tokens["access_token"])
    )
    logged = http.get("/_emulator/requests", params={"path": "/oauth/tokens"}).json()
    assert len(logged) == 1
    body = logged[0]["body"]
    assert body["client_id"] == "deskline"
    assert client.secret not in str(logged)
    assert body["client_secret"].startswith("****")
    assert body["code"].startswith("****")
    users = http.get(
        "/_emulator/requests", params={"method": "GET", "path": "/api/v2/users"}
    ).json()
    assert users[0]["query"] == [["role[]", "agent"]]
    assert users[0]["headers"]["authorization"] == "Bearer ****" + tokens["access_token"][-4:]
    assert tokens["access_token"] not in str(http.get("/_emulator/requests").json())
    assert "secret" not in repr(client)


def test_clock_advance_and_reset_over_http(zendesk: RunningEmulator, http: httpx.Client) -> None:
    before = zendesk.emulator.clock.now()
    assert http.post("/_emulator/clock/advance", json={"seconds": 30}).json() == {
        "now": before + 30
    }
    zendesk.emulator.add_user("Someone")
    zendesk.emulator.configure(tpe_enabled=False)
    assert http.post("/_emulator/reset").status_code == 204
    assert http.get("/_emulator/state").json()["users"] == []
    assert zendesk.emulator.config.tpe_enabled is True


def test_unknown_api_path_answers_like_zendesk(
    zendesk: RunningEmulator, http: httpx.Client
) -> None:
    zendesk.emulator.add_agent("Omar Diaz", "omar@acme.test")
    auth = api_token_auth("omar@acme.test", zendesk.emulator.add_api_token())
    assert http.get("/api/v2/nothing/here.json").status_code == 401  # authentication first
    response = http.get("/api/v2/nothing/here.json", auth=auth)
    assert response.status_code == 404
    assert response.json() == {"error": "InvalidEndpoint", "description": "Not found"}


def test_fixture_serves_two_independent_accounts() -> None:
    with running_emulator(ZendeskEmulator(clock=ManualClock())) as one, running_emulator() as two:
        assert one.base_url != two.base_url
        one.emulator.add_user("Only here")
        assert len(httpx.get(f"{one.base_url}/_emulator/state").json()["users"]) == 1
        assert httpx.get(f"{two.base_url}/_emulator/state").json()["users"] == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_state(base_url: str, process: subprocess.Popen[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        try:
            state: dict[str, Any] = httpx.get(f"{base_url}/_emulator/state").json()
            return state
        except httpx.TransportError:
            assert process.poll() is None, "the emulator process exited"
            assert time.monotonic() < deadline, "the emulator did not start listening"
            time.sleep(0.05)


def test_starts_on_its_own_for_demos() -> None:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "tests.fakes.zendesk",
        "--port",
        str(port),
        "--subdomain",
        "acme",
        "--seed",
        "demo",
        "--client-secret",
        "s3cret-demo",
    ]
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        assert any("unique identifier: deskline" in line for line in lines)
        assert any("s3cret-demo" in line for line in lines)
        # the banner is printed before uvicorn binds: wait until it answers
        state = _wait_for_state(f"http://127.0.0.1:{port}", process)
        assert {u["role"] for u in state["users"]} == {"admin", "agent", "end-user"}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
