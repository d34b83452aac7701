"""Phonebook groups and contacts, the synced group's read-only rule, CSV export, caller ID."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from deskline.connector import Contact
from deskline.integration.sync_problems import record_sync_problem
from deskline.pipeline.contact_index import ContactIndex
from deskline.store.models import HelpdeskConnection, PhonebookContact
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import zendesk, zendesk_server  # noqa: F401
from tests.integration.zendesk_setup import connect_zendesk, use_emulator_clock
from tests.web.conftest import Server

RUTH = {"first_name": "Ruth", "last_name": "Baker", "numbers": {"business": "+15135557611"}}


async def new_group(server: Server, name: str) -> dict[str, Any]:
    answer = await server.admin.post("/api/phonebook/groups", json={"name": name})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def add(server: Server, group_id: int, contact: dict[str, Any]) -> Any:
    return await server.admin.post(f"/api/phonebook/groups/{group_id}/contacts", json=contact)


async def api_token(server: Server) -> str:
    answer = await server.admin.post("/api/auth/tokens", json={"name": "dialplan"})
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


async def test_groups_and_contacts_are_edited(server: Server) -> None:
    group = await new_group(server, "Suppliers")
    assert (
        await server.admin.post("/api/phonebook/groups", json={"name": "Suppliers"})
    ).status_code == 409

    made = await add(server, group["id"], RUTH)
    assert made.status_code == 201, made.text
    contact = made.json()
    assert contact["name"] == "Ruth Baker"
    changed = await server.admin.put(
        f"/api/phonebook/groups/{group['id']}/contacts/{contact['id']}",
        json={**RUTH, "company": "Baker & Co"},
    )
    assert changed.json()["company"] == "Baker & Co"
    invalid = await add(server, group["id"], {"first_name": "", "numbers": {"pager": "1"}})
    assert invalid.status_code == 422
    messages = " ".join(p["message"] for p in invalid.json()["problems"])
    assert "a name" in messages and "kinds" in messages and "at least one number" in messages
    groups = (await server.admin.get("/api/phonebook/groups")).json()
    assert groups == [
        {"id": group["id"], "name": "Suppliers", "label": None, "synced": False, "contacts": 1}
    ]
    deleted = await server.admin.delete(
        f"/api/phonebook/groups/{group['id']}/contacts/{contact['id']}"
    )
    assert deleted.status_code == 204
    assert (await server.admin.get(f"/api/phonebook/groups/{group['id']}/contacts")).json() == []


async def test_synced_group_is_read_only_while_connected(
    server: Server,
    zendesk: RunningEmulator,  # noqa: F811
) -> None:
    zendesk.emulator.add_agent("Kristin Hale", "kristin@acme.test", admin=True)
    use_emulator_clock(server, zendesk)
    await connect_zendesk(server, zendesk)
    group = await new_group(server, "Zendesk")
    # the contact sync (the pipeline) fills the group; here one contact stands for it
    contact = (await add(server, group["id"], RUTH)).json()
    async with server.runtime.db.transaction() as session:
        await session.delete(await session.get(PhonebookContact, contact["id"]))
    saved = await server.admin.put(
        "/api/helpdesk/settings", json={"contact_sync_group_id": group["id"]}
    )
    assert saved.status_code == 200, saved.text

    refused = await add(server, group["id"], RUTH)

    assert refused.status_code == 409
    assert "read-only while the helpdesk is connected" in refused.json()["message"]
    assert (await server.admin.delete(f"/api/phonebook/groups/{group['id']}")).status_code == 409
    assert (
        await server.admin.get(f"/api/phonebook/groups/{group['id']}/contacts")
    ).status_code == 200

    await server.admin.post("/api/helpdesk/disconnect")
    assert (await add(server, group["id"], RUTH)).status_code == 201


async def test_csv_export_escapes_and_guards_formulas(server: Server) -> None:
    group = await new_group(server, "Tricky")
    tricky = [
        {"first_name": "Smith, John", "last_name": 'The "Boss"', "numbers": {"mobile": "+4930123"}},
        {"first_name": "Zoë", "last_name": "Ünal\nsecond line", "numbers": {"home": "030 1234"}},
        {"first_name": "=HYPERLINK(\"http://evil\")", "company": "+cmd|' /C calc'!A0",
         "email": "@SUM(1)", "remark": "-2+3", "numbers": {"other": "=1+1"}},
    ]  # fmt: skip
    for contact in tricky:
        assert (await add(server, group["id"], contact)).status_code == 201

    answer = await server.admin.get(f"/api/phonebook/groups/{group['id']}/export.csv")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == [
        "first_name", "last_name", "company", "email",
        "business", "mobile", "home", "fax", "other", "remark",
    ]  # fmt: skip
    by_first = {row["first_name"]: row for row in rows}
    assert by_first["Smith, John"]["last_name"] == 'The "Boss"'
    assert by_first["Smith, John"]["mobile"] == "+4930123"  # a plain number stays as it is
    assert by_first["Zoë"]["last_name"] == "Ünal\nsecond line"
    evil = by_first['\'=HYPERLINK("http://evil")']
    assert evil["company"] == "'+cmd|' /C calc'!A0"
    assert evil["email"] == "'@SUM(1)" and evil["remark"] == "'-2+3"
    assert evil["other"] == "'=1+1"
    assert (await server.admin.get("/api/phonebook/groups/999/export.csv")).status_code == 404


@pytest.mark.parametrize(
    ("asked", "name", "match"),
    [
        ("+15135557611", "Ruth Baker", "e164"),
        ("15135557611", "Ruth Baker", "e164"),
        ("(513) 555-7611", "Ruth Baker", "e164"),
        ("0015135557611", "Ruth Baker", "e164"),
        ("+445135557611", "Ruth Baker", "tail"),  # another country, same last 7 digits
        ("+15135550000", None, None),
        ("anonymous", None, None),
    ],
)
async def test_caller_id_from_the_phonebook(
    server: Server, asked: str, name: str | None, match: str | None
) -> None:
    group = await new_group(server, "Customers")
    await add(server, group["id"], RUTH)
    token = await api_token(server)

    answer = await server.anon.get(
        "/api/caller-id", params={"number": asked}, headers={"Authorization": f"Bearer {token}"}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "name": name,
        "source": "phonebook" if name else None,
        "match": match,
    }


async def test_caller_id_from_the_helpdesk_index_as_text(
    server: Server,
    zendesk: RunningEmulator,  # noqa: F811
) -> None:
    zendesk.emulator.add_agent("Kristin Hale", "kristin@acme.test", admin=True)
    use_emulator_clock(server, zendesk)
    await connect_zendesk(server, zendesk)
    async with server.runtime.db.transaction() as session:
        row = (await session.execute(select(HelpdeskConnection))).scalar_one()
        index = ContactIndex(server.runtime.normaliser)
        contact = Contact(
            id="900",
            contact_type="End-user",
            first_name="Omar Diaz",
            phones={"BusinessNumber": "+4930901820"},
        )
        await index.upsert(session, row.id, contact)
    token = await api_token(server)

    text = await server.anon.get(
        "/api/caller-id", params={"number": "030 901820", "format": "text", "token": token}
    )
    assert text.status_code == 200 and text.text == "Omar Diaz"
    unknown = await server.anon.get(
        "/api/caller-id", params={"number": "+4930111111", "format": "text", "token": token}
    )
    assert unknown.status_code == 200 and unknown.text == ""


async def test_caller_id_needs_an_api_token(server: Server) -> None:
    assert (await server.anon.get("/api/caller-id", params={"number": "1"})).status_code == 401
    forged = await server.anon.get("/api/caller-id", params={"number": "1", "token": "dl_forged"})
    assert forged.status_code == 401
    # an admin session is not an API token
    session = await server.anon.get(
        "/api/caller-id",
        params={"number": "1"},
        headers={"Authorization": f"Bearer {server.token}"},
    )
    assert session.status_code == 401


async def test_sync_problems_are_listed(server: Server) -> None:
    async with server.runtime.db.transaction() as session:
        await record_sync_problem(session, "41", None, "it has no first or last name")
        await record_sync_problem(session, "42", "Ada", "it has no phone number")

    problems = (await server.admin.get("/api/phonebook/sync-problems")).json()

    assert [(p["remote_id"], p["reason"]) for p in problems] == [
        ("42", "it has no phone number"),
        ("41", "it has no first or last name"),
    ]
