"""Extensions, helpdesk users and their bindings through the admin API (F2, F7)."""

from __future__ import annotations

from typing import Any

import pytest

from deskline.pipeline.agent_tokens import verify_agent_token
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import zendesk, zendesk_server  # noqa: F401
from tests.integration.zendesk_setup import connect_zendesk, use_emulator_clock
from tests.web.conftest import Server


@pytest.fixture
async def connected(server: Server, zendesk: RunningEmulator) -> Server:  # noqa: F811
    """Zendesk connected, its agents fetched: Kristin (admin), Omar, and Lena (no extension)."""
    emulator = zendesk.emulator
    emulator.add_agent("Kristin Hale", "kristin@acme.test", admin=True)
    emulator.add_agent("Omar Diaz", "Omar.Diaz@Acme.test")
    emulator.add_agent("Lena Berg", "lena@acme.test")
    use_emulator_clock(server, zendesk)
    await connect_zendesk(server, zendesk)
    assert (await server.admin.post("/api/helpdesk/users/refresh")).status_code == 200
    for number, email in (("2005", "kristin@acme.test"), ("2006", "omar.diaz@acme.TEST"),
                          ("2007", None)):  # fmt: skip
        answer = await server.admin.post(
            "/api/extensions", json={"number": number, "name": f"Desk {number}", "email": email}
        )
        assert answer.status_code == 201, answer.text
    return server


async def users_by_email(server: Server) -> dict[str, dict[str, Any]]:
    users = (await server.admin.get("/api/helpdesk/users")).json()
    return {u["email"].lower(): u for u in users}


async def test_extensions_are_checked(server: Server) -> None:
    assert (await server.admin.post("/api/extensions", json={"number": "2005"})).status_code == 201
    again = await server.admin.post("/api/extensions", json={"number": "2005"})
    assert again.status_code == 409 and "exists" in again.json()["message"]
    bad = await server.admin.post("/api/extensions", json={"number": "20 05"})
    assert bad.status_code == 422
    mail = await server.admin.post("/api/extensions", json={"number": "2006", "email": "nope"})
    assert mail.status_code == 422 and "e-mail" in mail.json()["message"]
    listed = (await server.admin.get("/api/extensions")).json()
    assert [e["number"] for e in listed] == ["2005"]
    assert (await server.admin.delete(f"/api/extensions/{listed[0]['id']}")).status_code == 204
    assert (await server.admin.get("/api/extensions")).json() == []


async def test_bindings_need_a_connected_helpdesk(server: Server) -> None:
    answer = await server.admin.get("/api/bindings")
    assert answer.status_code == 409 and "no helpdesk is connected" in answer.json()["message"]


async def test_auto_bind_pairs_users_and_extensions_by_email(connected: Server) -> None:
    answer = await connected.admin.post("/api/bindings/auto")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert {(b["extension"], b["user_name"]) for b in report["bound"]} == {
        ("2005", "Kristin Hale"),
        ("2006", "Omar Diaz"),  # e-mails compared case-insensitively
    }
    assert all(b["method"] == "auto" for b in report["bound"])
    assert report["extensions_without_user"] == ["2007"]
    assert report["users_without_extension"] == ["lena@acme.test"]
    listed = (await connected.admin.get("/api/bindings")).json()
    assert [e["number"] for e in listed["unbound_extensions"]] == ["2007"]
    assert len(listed["bindings"]) == 2

    second = (await connected.admin.post("/api/bindings/auto")).json()
    assert second["bound"] == [] and second["already_bound"] == 2


async def test_manual_bind_change_and_unbind(connected: Server) -> None:
    lena = (await users_by_email(connected))["lena@acme.test"]

    made = await connected.admin.post(
        "/api/bindings",
        json={"helpdesk_user_id": lena["id"], "extension": "2007", "pop_trigger": "answered"},
    )

    assert made.status_code == 201, made.text
    binding = made.json()
    assert binding["method"] == "manual" and binding["pop_mode"] == "auto"
    assert binding["pop_trigger"] == "answered" and binding["user_email"] == "lena@acme.test"
    taken = await connected.admin.post(
        "/api/bindings", json={"helpdesk_user_id": lena["id"], "extension": "2007"}
    )
    assert taken.status_code == 409 and "bound already" in taken.json()["message"]
    unknown = await connected.admin.post(
        "/api/bindings", json={"helpdesk_user_id": lena["id"], "extension": "9999"}
    )
    assert unknown.status_code == 422 and "9999" in unknown.json()["message"]

    changed = await connected.admin.patch(
        f"/api/bindings/{binding['id']}", json={"pop_mode": "manual"}
    )
    assert changed.json()["pop_mode"] == "manual" and changed.json()["pop_trigger"] == "answered"
    wrong = await connected.admin.patch(
        f"/api/bindings/{binding['id']}", json={"pop_trigger": "whenever"}
    )
    assert wrong.status_code == 422

    assert (await connected.admin.delete(f"/api/bindings/{binding['id']}")).status_code == 204
    assert (await connected.admin.get(f"/api/bindings/{binding['id']}")).status_code == 404
    listed = (await connected.admin.get("/api/bindings")).json()
    assert "2007" in [e["number"] for e in listed["unbound_extensions"]]


async def test_agent_token_names_the_bound_extension(connected: Server) -> None:
    bound = (await connected.admin.post("/api/bindings/auto")).json()["bound"]
    binding = next(b for b in bound if b["extension"] == "2005")

    answer = await connected.admin.post(f"/api/bindings/{binding['id']}/agent-token")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    secret_key = connected.runtime.settings.effective_secret_key
    assert verify_agent_token(secret_key, body["token"]) == "2005"
    assert body["websocket_url"].startswith("ws://127.0.0.1:8080/ws/agent?token=")
    assert (await connected.admin.post("/api/bindings/999/agent-token")).status_code == 404


async def test_removing_an_extension_removes_its_binding(connected: Server) -> None:
    await connected.admin.post("/api/bindings/auto")
    extensions = {e["number"]: e for e in (await connected.admin.get("/api/extensions")).json()}

    await connected.admin.delete(f"/api/extensions/{extensions['2005']['id']}")

    listed = (await connected.admin.get("/api/bindings")).json()
    assert [b["extension"] for b in listed["bindings"]] == ["2006"]
