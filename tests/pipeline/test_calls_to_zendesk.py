"""Calls through the pipeline into the Zendesk emulator: what Zendesk receives per rule."""

from __future__ import annotations

from typing import Any

from tests.pipeline.harness import Desk, inbound_answered, inbound_missed, outbound

RUTH = "+15135557611"


def voice_comments(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in ticket["comments"] if c.get("type") == "VoiceComment"]


async def test_new_caller_gets_a_contact_and_one_ticket_with_the_journal(desk: Desk) -> None:
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()

    users = [u for u in desk.emulator.state()["users"] if u["role"] == "end-user"]
    assert [u["name"] for u in users] == [f"Automatic New Contact {RUTH}"]
    (ticket,) = desk.tickets()
    assert ticket["subject"] == "Inbound Answered - from <+15135557611>"
    description = ticket["comments"][0]["body"]
    assert description == "Inbound Answered - from <+15135557611> to Kristin Hale<2005>"
    assert ticket["requester_id"] == users[0]["id"]
    assert ticket["assignee_id"] == desk.agents["2005"].id
    (voice,) = voice_comments(ticket)
    assert voice["data"]["call_duration"] == 65
    # search + create user + one ticket write carrying the voice comment
    paths = [(r.method, r.path) for r in desk.api_requests()]
    assert [m for m, _ in paths] == ["GET", "POST", "POST"]
    assert desk.emulator.validation_errors() == []
    assert await desk.logged_requests() == 3


async def test_a_returning_caller_is_known_locally_and_costs_one_request(desk: Desk) -> None:
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()
    before = len(desk.api_requests())

    await desk.events(*inbound_answered("c2", RUTH))
    await desk.settle()
    await desk.work()

    new = desk.api_requests()[before:]
    assert [(r.method, r.path.rstrip("/")) for r in new] == [("POST", "/api/v2/tickets")]
    assert len(desk.tickets()) == 2


async def test_two_quick_calls_from_a_new_number_create_one_contact(desk: Desk) -> None:
    desk.emulator.configure(search_index_delay=600)  # Zendesk's search lags far behind
    await desk.events(*inbound_answered("c1", RUTH)[:2])
    await desk.work()
    await desk.events(*inbound_answered("c2", RUTH)[:2])
    await desk.work()

    end_users = [u for u in desk.emulator.state()["users"] if u["role"] == "end-user"]
    assert len(end_users) == 1
    assert len(desk.requests("POST", "/api/v2/users*")) == 1


async def test_missed_inbound_and_unanswered_outbound_subjects(desk: Desk) -> None:
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*inbound_missed("c1", RUTH))
    await desk.events(*outbound("c2", "2005", RUTH, answered=False))
    await desk.settle()
    await desk.work()

    subjects = sorted(t["comments"][0]["body"] for t in desk.tickets())
    assert subjects == [
        "Inbound No Answer - from Ruth Baker<+15135557611> to Kristin Hale<2005>",
        "Outbound No Answer - from Kristin Hale<2005> to Ruth Baker<+15135557611>",
    ]
    assert not desk.requests("POST", "/api/v2/users*")  # found by search, not created


async def test_only_the_chosen_after_call_types_get_tickets(desk: Desk) -> None:
    await desk.set_settings(
        tickets={
            "enabled": True,
            "timing": "after_call",
            "after_call": {
                "inbound_answered": False,
                "inbound_missed": True,
                "outbound_answered": False,
                "outbound_unanswered": False,
            },
        }
    )
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.events(*inbound_missed("c2", RUTH))
    await desk.events(*outbound("c3", "2005", RUTH, answered=True))
    await desk.settle()
    await desk.work()

    assert [t["subject"].split(" - ")[0] for t in desk.tickets()] == ["Inbound No Answer"]


async def test_before_call_ticket_then_journal_on_it(desk: Desk) -> None:
    await desk.set_settings(tickets={"enabled": True, "timing": "before_call"}, call_journal=True)
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*inbound_answered("c1", RUTH)[:2])  # rings
    await desk.work()
    (ticket,) = desk.tickets()
    assert ticket["subject"] == "Inbound Ringing - from Ruth Baker<+15135557611>"
    assert voice_comments(ticket) == []

    await desk.events(*inbound_answered("c1", RUTH)[2:])
    await desk.settle()
    await desk.work()
    (ticket,) = desk.tickets()
    (voice,) = voice_comments(ticket)
    assert voice["data"]["from"] == RUTH
    assert len(desk.requests("PUT", "/api/v2/tickets/*")) == 1


async def test_unknown_caller_without_automatic_creation_gets_no_ticket(desk: Desk) -> None:
    await desk.set_settings(contact_creation={"mode": "manual"})
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()

    assert desk.tickets() == []
    assert not desk.requests("POST", "/api/v2/users*")
    actions = await desk.actions()
    assert actions["ticket@c1"].state == "skipped"
