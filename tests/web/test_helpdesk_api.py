"""Connecting Zendesk through the admin API, against the Zendesk emulator over real HTTP (F1,
F3–F5, settings F8–F13), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from deskline.store.models import (
    ExtensionBinding,
    HelpdeskConnection,
    HelpdeskContact,
    HelpdeskUser,
    PhonebookGroup,
)
from tests.fakes.generic_helpdesk import running_helpdesk
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import zendesk, zendesk_server  # noqa: F401
from tests.integration.zendesk_setup import (
    callback,
    connect_zendesk,
    consent,
    register_client,
    seed_agents,
    start_connect,
    use_emulator_clock,
)
from tests.web.conftest import Server


@pytest.fixture
def desk(server: Server, zendesk: RunningEmulator) -> RunningEmulator:  # noqa: F811
    """The emulator with an admin who consents, and deskline on the emulator's clock."""
    zendesk.emulator.add_agent("Kristin Hale", "kristin@acme.test", admin=True)
    use_emulator_clock(server, zendesk)
    return zendesk


async def status(server: Server) -> dict[str, Any]:
    answer = await server.admin.get("/api/helpdesk")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def raw_connection(server: Server) -> HelpdeskConnection | None:
    async with server.runtime.db.read() as session:
        return (await session.execute(select(HelpdeskConnection))).scalar_one_or_none()


# --- connect (F1) ----------------------------------------------------------------------------


async def test_connect_stores_encrypted_tokens_and_shows_connected(
    server: Server, desk: RunningEmulator
) -> None:
    assert (await status(server))["status"] == "not_connected"
    redirect = await server.admin.get("/api/helpdesk/redirect-uri")
    assert redirect.json() == {"redirect_uri": "http://127.0.0.1:8080/oauth/callback"}

    client = await connect_zendesk(server, desk)

    shown = await status(server)
    assert shown["status"] == "connected"
    assert shown["template_key"] == "zendesk"
    assert shown["fields"]["client_secret"] == "********"
    assert shown["fields"]["subdomain"] == "acme"
    row = await raw_connection(server)
    assert row is not None and row.secrets
    oauth = desk.emulator.oauth
    issued = [*oauth.access_tokens, *oauth.refresh_tokens]
    assert issued, "the emulator issued no token"
    for secret in [*issued, client.fields["client_secret"]]:
        assert secret not in row.secrets
        assert secret not in str(row.fields)
        assert secret not in repr(row)
    assert desk.emulator.validation_errors() == []


async def test_denied_authorization_is_reported(server: Server, desk: RunningEmulator) -> None:
    client = register_client(desk)
    desk.emulator.configure(consent_mode="auto-deny")
    start = await start_connect(server, client.fields)
    query = await consent(start["authorization_url"])
    assert query["error"] == "access_denied"

    page = await callback(server, query)

    assert page.status_code == 400
    assert "denied" in page.text and "Not connected" in page.text
    shown = await status(server)
    assert shown["status"] == "authorizing" and "access_denied" in shown["status_detail"]


async def test_wrong_secret_is_reported(server: Server, desk: RunningEmulator) -> None:
    client = register_client(desk, secret="not-the-secret")
    desk.emulator.configure(consent_mode="auto-allow")
    start = await start_connect(server, client.fields)

    page = await callback(server, await consent(start["authorization_url"]))

    assert page.status_code == 400
    assert "invalid_client" in page.text and "Secret" in page.text
    assert (await status(server))["status"] == "authorizing"


async def test_expired_code_is_reported(server: Server, desk: RunningEmulator) -> None:
    client = register_client(desk)
    desk.emulator.configure(consent_mode="auto-allow")
    start = await start_connect(server, client.fields)
    query = await consent(start["authorization_url"])
    desk.emulator.advance_clock(121)  # Zendesk's codes live 120 s

    page = await callback(server, query)

    assert page.status_code == 400
    assert "invalid_grant" in page.text and "expired" in page.text


async def test_replayed_callback_and_replayed_code_are_refused(
    server: Server, desk: RunningEmulator
) -> None:
    client = await connect_zendesk(server, desk)
    # the same callback again: its state was used once already
    start = await start_connect(server, client.fields)  # re-authorize: a new state
    first = await consent(start["authorization_url"])
    assert (await callback(server, first)).status_code == 200
    replay = await callback(server, first)
    assert replay.status_code == 400 and "already used" in replay.text

    # an old code with a fresh state: the helpdesk refuses the code
    start = await start_connect(server, client.fields)
    fresh = await consent(start["authorization_url"])
    page = await callback(server, {"code": first["code"], "state": fresh["state"]})
    assert page.status_code == 400 and "invalid_grant" in page.text
    assert (await status(server))["status"] == "connected"  # the working tokens are kept


async def test_forged_state_is_refused_and_the_real_callback_still_works(
    server: Server, desk: RunningEmulator
) -> None:
    client = register_client(desk)
    desk.emulator.configure(consent_mode="auto-allow")
    start = await start_connect(server, client.fields)
    query = await consent(start["authorization_url"])

    forged = await callback(server, {"code": query["code"], "state": "forged-state"})
    assert forged.status_code == 400 and "unknown state" in forged.text
    missing = await callback(server, {"code": query["code"]})
    assert missing.status_code == 400

    assert (await callback(server, query)).status_code == 200
    assert (await status(server))["status"] == "connected"


async def test_an_authorization_expires_after_ten_minutes(
    server: Server, desk: RunningEmulator
) -> None:
    client = register_client(desk)
    desk.emulator.configure(consent_mode="auto-allow")
    start = await start_connect(server, client.fields)
    assert start["expires_in"] == 600
    query = await consent(start["authorization_url"])
    desk.emulator.advance_clock(601)

    page = await callback(server, query)

    assert page.status_code == 400 and "expired" in page.text and "10 minutes" in page.text


async def test_connect_checks_the_fields(server: Server, desk: RunningEmulator) -> None:
    answer = await server.admin.post(
        "/api/helpdesk/connect",
        json={"template_key": "zendesk", "fields": {"client_id": "x", "colour": "red"}},
    )
    assert answer.status_code == 422
    paths = {p["path"] for p in answer.json()["problems"]}
    assert {"fields.client_secret", "fields.subdomain", "fields.colour"} <= paths
    unknown = await server.admin.post(
        "/api/helpdesk/connect", json={"template_key": "nope", "fields": {}}
    )
    assert unknown.status_code == 422 and "nope" in unknown.json()["message"]


async def test_callback_needs_no_login_but_the_api_does(server: Server) -> None:
    assert (await server.anon.get("/api/helpdesk")).status_code == 401
    page = await server.anon.get("/oauth/callback", params={"code": "c", "state": "s"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")


# --- refresh failure → needs re-authorization ------------------------------------------------


async def test_refused_refresh_marks_needs_reauth(server: Server, desk: RunningEmulator) -> None:
    await connect_zendesk(server, desk)
    desk.emulator.revoke_tokens(client_id="deskline")

    answer = await server.admin.post("/api/helpdesk/users/refresh")

    assert answer.status_code == 409
    assert "connect it again" in answer.json()["message"]
    shown = await status(server)
    assert shown["status"] == "needs_reauth"
    assert shown["status_detail"]
    again = await server.admin.post("/api/helpdesk/users/refresh")
    assert again.status_code == 409 and "authorizing again" in again.json()["message"]


async def test_reconnecting_clears_needs_reauth(server: Server, desk: RunningEmulator) -> None:
    client = await connect_zendesk(server, desk)
    desk.emulator.revoke_tokens(client_id="deskline")
    await server.admin.post("/api/helpdesk/users/refresh")
    assert (await status(server))["status"] == "needs_reauth"

    start = await start_connect(server, client.fields)
    assert (await callback(server, await consent(start["authorization_url"]))).status_code == 200

    assert (await status(server))["status"] == "connected"
    assert (await server.admin.post("/api/helpdesk/users/refresh")).status_code == 200


async def test_expired_access_token_is_refreshed_and_the_new_pair_stored(
    server: Server, desk: RunningEmulator
) -> None:
    await connect_zendesk(server, desk)
    before = await raw_connection(server)
    assert before is not None
    exchanges = len(desk.emulator.requests("POST", "/oauth/tokens"))
    desk.emulator.advance_clock(3 * 86400)  # past the refresh interval and the expiry

    answer = await server.admin.post("/api/helpdesk/users/refresh")

    assert answer.status_code == 200, answer.text
    after = await raw_connection(server)
    assert after is not None and after.secrets != before.secrets
    assert len(desk.emulator.requests("POST", "/oauth/tokens")) == exchanges + 1  # one refresh
    assert (await status(server))["status"] == "connected"


# --- users (F2) ------------------------------------------------------------------------------


async def test_users_refresh_fetches_every_page(server: Server, desk: RunningEmulator) -> None:
    seed_agents(desk, 249)  # + the admin: 250 users, three pages of 100
    await connect_zendesk(server, desk)

    answer = await server.admin.post("/api/helpdesk/users/refresh")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["fetched"] == 250 and report["added"] == 250 and report["requests"] == 3
    users = (await server.admin.get("/api/helpdesk/users")).json()
    assert len(users) == 250
    assert {"kristin@acme.test", "agent000@acme.test", "agent248@acme.test"} <= {
        u["email"] for u in users
    }
    assert desk.emulator.validation_errors() == []

    again = (await server.admin.post("/api/helpdesk/users/refresh")).json()
    assert again["added"] == 0 and again["updated"] == 250


# --- one helpdesk at a time (F5), disable (F3), disconnect (F4) -------------------------------


async def test_a_second_helpdesk_is_refused_while_one_is_connected(
    server: Server, desk: RunningEmulator
) -> None:
    await connect_zendesk(server, desk)

    answer = await server.admin.post(
        "/api/helpdesk/connect",
        json={"template_key": "generic-rest", "fields": {"base_url": "http://127.0.0.1:9"}},
    )

    assert answer.status_code == 409
    assert "one helpdesk at a time" in answer.json()["message"]
    assert "disconnect" in answer.json()["message"]


async def test_disable_keeps_everything_and_enable_restores(
    server: Server, desk: RunningEmulator
) -> None:
    await connect_zendesk(server, desk)
    settings = (await server.admin.get("/api/helpdesk/settings")).json()
    settings["tickets"]["enabled"] = True
    assert (await server.admin.put("/api/helpdesk/settings", json=settings)).status_code == 200
    before = await raw_connection(server)

    disabled = await server.admin.post("/api/helpdesk/disable")

    assert disabled.json()["status"] == "disabled"
    async with server.runtime.db.read() as session:
        assert await server.runtime.helpdesks.active(session) is None
        kept = await server.runtime.helpdesks.current(session)
    assert kept is not None and kept.settings.tickets.enabled
    after = await raw_connection(server)
    assert after is not None and before is not None and after.secrets == before.secrets
    enabled = await server.admin.post("/api/helpdesk/enable")
    assert enabled.json()["status"] == "connected"
    assert enabled.json()["settings"]["tickets"]["enabled"] is True


async def test_disconnect_clears_the_connection_and_frees_the_group(
    server: Server, desk: RunningEmulator
) -> None:
    await connect_zendesk(server, desk)
    await server.admin.post("/api/helpdesk/users/refresh")
    await server.admin.post(
        "/api/extensions", json={"number": "2005", "email": "KRISTIN@acme.test"}
    )
    assert len((await server.admin.post("/api/bindings/auto")).json()["bound"]) == 1
    settings = (await server.admin.get("/api/helpdesk/settings")).json()
    settings["new_group_name"] = "Zendesk contacts"
    assert (await server.admin.put("/api/helpdesk/settings", json=settings)).status_code == 200
    async with server.runtime.db.transaction() as session:
        row = (await session.execute(select(HelpdeskConnection))).scalar_one()
        session.add(HelpdeskContact(connection_id=row.id, remote_id="77", first_name="Ruth"))

    answer = await server.admin.post("/api/helpdesk/disconnect")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["bindings_removed"] == 1 and report["users_removed"] == 1
    assert report["contacts_removed"] == 1 and report["groups_released"] == ["Zendesk contacts"]
    assert (await status(server))["status"] == "not_connected"
    async with server.runtime.db.read() as session:
        assert (await session.execute(select(HelpdeskConnection))).first() is None
        for model in (HelpdeskUser, ExtensionBinding, HelpdeskContact):
            assert (await session.execute(select(model))).first() is None
        group = (await session.execute(select(PhonebookGroup))).scalar_one()
    assert group.connection_id is None and group.label == "Helpdesk (disconnected)"
    assert (await server.admin.post("/api/helpdesk/disconnect")).status_code == 409
    # another helpdesk may now be connected
    assert (await server.admin.get("/api/helpdesk/settings")).status_code == 409


# --- settings (F8–F13) -----------------------------------------------------------------------


async def test_settings_round_trip_with_defaults(server: Server, desk: RunningEmulator) -> None:
    await connect_zendesk(server, desk)
    settings = (await server.admin.get("/api/helpdesk/settings")).json()
    assert settings["tickets"]["subject"] == (
        "{{.Communication_Type}} {{.Call_Status}} - from {{.Call_From}}"
    )
    settings.update(always_query_helpdesk=True, play_recording=True, talk_partner_edition=True)
    settings["contact_creation"] = {"mode": "auto", "inbound": True, "outbound": False}
    settings["tickets"]["subject"] = "{{.Call_Log_Status}} call from {{.CallerNumber}}"

    saved = await server.admin.put("/api/helpdesk/settings", json=settings)

    assert saved.status_code == 200, saved.text
    assert (await server.admin.get("/api/helpdesk/settings")).json() == saved.json()
    async with server.runtime.db.read() as session:
        helpdesk = await server.runtime.helpdesks.active(session)
    assert helpdesk is not None
    assert helpdesk.settings.contact_creation.creates_for("inbound")
    assert not helpdesk.settings.contact_creation.creates_for("outbound")


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"tickets": {"subject": "{{.Call_From"}}, "tickets.subject", "not a valid template"),
        ({"tickets": {"subject": "{{.Password}}"}}, "tickets.subject", "unknown variables"),
        ({"tickets": {"description": "{{.Colour}}"}}, "tickets.description", "{{.Colour}}"),
        (
            {
                "tickets": {
                    "enabled": True,
                    "timing": "before_call",
                    "before_call": {"inbound": False, "outbound": False},
                }
            },
            "tickets",
            "at least one call type",
        ),
        ({"api_budget_rpm": 0}, "api_budget_rpm", "greater than or equal to 1"),
        ({"contact_creation": {"mode": "sometimes"}}, "contact_creation.mode", "auto"),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
async def test_settings_validation_errors_are_clear(
    server: Server, desk: RunningEmulator, change: dict[str, Any], path: str, words: str
) -> None:
    await connect_zendesk(server, desk)

    answer = await server.admin.put("/api/helpdesk/settings", json=change)

    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert any(p["path"] == path and words in p["message"] for p in problems), problems


async def test_sync_group_must_be_empty_and_becomes_helpdesk_labelled(
    server: Server, desk: RunningEmulator
) -> None:
    await connect_zendesk(server, desk)
    full = (await server.admin.post("/api/phonebook/groups", json={"name": "Suppliers"})).json()
    await server.admin.post(
        f"/api/phonebook/groups/{full['id']}/contacts",
        json={"first_name": "Ada", "numbers": {"business": "+15135550100"}},
    )
    empty = (await server.admin.post("/api/phonebook/groups", json={"name": "Zendesk"})).json()

    refused = await server.admin.put(
        "/api/helpdesk/settings", json={"contact_sync_group_id": full["id"]}
    )
    assert refused.status_code == 422 and "must be empty" in refused.json()["message"]
    missing = await server.admin.put("/api/helpdesk/settings", json={"contact_sync_group_id": 999})
    assert missing.status_code == 422

    chosen = await server.admin.put(
        "/api/helpdesk/settings", json={"contact_sync_group_id": empty["id"]}
    )
    assert chosen.status_code == 200, chosen.text
    groups = {g["name"]: g for g in (await server.admin.get("/api/phonebook/groups")).json()}
    assert groups["Zendesk"]["label"] == "Helpdesk" and groups["Zendesk"]["synced"]
    assert not groups["Suppliers"]["synced"]


# --- templates without OAuth2 connect at once after a test request ---------------------------


async def test_api_key_template_connects_after_a_test_request(server: Server) -> None:
    with running_helpdesk() as desk:
        base = f"{desk.base_url}/api/v3"
        wrong = await server.admin.post(
            "/api/helpdesk/connect",
            json={"template_key": "generic-rest", "fields": {"base_url": base, "api_key": "x"}},
        )
        assert wrong.status_code == 502
        assert "test request" in wrong.json()["message"]
        assert (await status(server))["status"] == "not_connected"

        answer = await server.admin.post(
            "/api/helpdesk/connect",
            json={
                "template_key": "generic-rest",
                "fields": {"base_url": base, "api_key": "hdr-key-7"},
            },
        )

        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "connected"
        assert answer.json()["authorization_url"] is None
        assert [r.path for r in desk.desk.api_requests()] == ["/api/v3/contacts"] * 2
    shown = await status(server)
    assert shown["status"] == "connected" and shown["fields"]["api_key"] == "********"
