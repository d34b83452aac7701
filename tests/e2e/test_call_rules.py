"""Calls from the simulator through every ticket/journal/contact/pop rule, into the Zendesk
emulator — all real processes: what Zendesk received, what the agents' consoles got, and that
every request deskline sent matched Zendesk's OpenAPI description."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from deskline.pbx.simulator.scenario import CallScenario
from tests.e2e.stack import Stack

pytestmark = pytest.mark.slow


def inbound(number: str, extension: str = "2005", **options: Any) -> CallScenario:
    return CallScenario(caller=number, callee=extension, answer_after=1.5, talk=1.0, **options)


def outbound(extension: str, number: str, **options: Any) -> CallScenario:
    return CallScenario(
        caller=extension, callee=number, outbound=True, answer_after=0.5, talk=1.0, **options
    )


def voice_comments(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in ticket["comments"] if c["type"] == "VoiceComment"]


def searches_for(desk: Stack, digits: str) -> list[dict[str, Any]]:
    return [
        r
        for r in desk.zendesk.requests("GET", "/api/v2/search*")
        if any(digits in value for _, value in r["query"])
    ]


def users_with_phone(desk: Stack, number: str) -> list[dict[str, Any]]:
    return [u for u in desk.zendesk.users() if u.get("phone") == number]


def only_ticket(desk: Stack, number: str) -> dict[str, Any]:
    tickets = desk.tickets_of(number)
    assert len(tickets) == 1, [t["subject"] for t in tickets]
    return tickets[0]


def test_known_caller_answered_after_call_ticket_with_journal_recording_and_tpe(
    desk: Stack,
) -> None:
    desk.put_settings(play_recording=True, talk_partner_edition=True)
    ruth = desk.zendesk.add_user("Ruth Baker", phone="+15135557601", email="ruth@example.com")
    kristin = desk.zendesk_agents["2005"]
    agent = desk.agent("2005")

    [call_id] = desk.play(inbound("+15135557601"))
    desk.wait_call(call_id)

    ticket = only_ticket(desk, "+15135557601")
    assert ticket["subject"] == (
        "Inbound Answered- from Ruth Baker<+15135557601> to Kristin Hale<2005>"
    )
    assert ticket["description"] == (
        "Inbound Answered - from Ruth Baker<+15135557601> to Kristin Hale<2005>"
    )
    assert ticket["requester_id"] == ruth["id"]
    assert ticket["assignee_id"] == kristin["id"]
    assert "deskline" in ticket["tags"]
    [voice] = voice_comments(ticket)
    data = voice["data"]
    assert (data["from"], data["to"]) == ("+15135557601", "2005")
    assert data["answered_by_id"] == kristin["id"]
    assert data["started_at"].endswith("Z")
    assert isinstance(data["call_duration"], int)
    assert [u["id"] for u in users_with_phone(desk, "+15135557601")] == [ruth["id"]]

    # F13: the link points at deskline, plays as audio, and supports Range requests
    url = data["recording_url"]
    assert url.startswith(f"{desk.deskline.base_url}/recordings/")
    whole = httpx.get(url, timeout=10)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/wav"
    assert whole.content.startswith(b"RIFF")
    part = httpx.get(url, headers={"Range": "bytes=0-11"}, timeout=10)
    assert part.status_code == 206
    assert part.content == whole.content[:12]
    assert part.headers["content-range"] == f"bytes 0-11/{len(whole.content)}"

    # F7: one pop on the agent's console, with the documented message
    [pop] = agent.pops_after_one(f"simulator:{call_id}")
    assert set(pop) == {"type", "call_id", "trigger", "extension", "contact", "url"}
    assert set(pop["contact"]) == {
        "id", "name", "first_name", "last_name", "email", "numbers", "url",
    }  # fmt: skip
    assert pop["contact"]["numbers"] == ["+15135557601"]
    assert pop["contact"]["email"] == "ruth@example.com"
    assert pop["trigger"] == "ringing"
    assert pop["extension"] == "2005"
    assert pop["contact"]["id"] == str(ruth["id"])
    assert pop["contact"]["name"] == "Ruth Baker"
    assert pop["url"].endswith(f"/agent/users/{ruth['id']}")
    # F29: Zendesk's own pop for the agent (Talk Partner Edition)
    displays = [d for d in desk.zendesk.displays() if d["target_id"] == ruth["id"]]
    assert [(d["agent_id"], d["status"]) for d in displays] == [(kristin["id"], 200)]
    assert desk.zendesk.validation_errors() == []


def test_a_returning_caller_is_recognised_locally_unless_always_query_is_on(
    desk: Stack,
) -> None:
    jonas = desk.zendesk.add_user("Jonas Weber", phone="+15135557602")
    agent = desk.agent("2006")

    [first] = desk.play(inbound("+15135557602", "2006"))
    desk.wait_call(first)
    assert len(searches_for(desk, "5135557602")) == 1
    ticket_posts = len(desk.zendesk.requests("POST", "/api/v2/tickets*"))

    [second] = desk.play(inbound("+15135557602", "2006"))
    desk.wait_call(second)
    assert len(searches_for(desk, "5135557602")) == 1  # F9 off: the local index knew him
    assert len(desk.zendesk.requests("POST", "/api/v2/tickets*")) == ticket_posts + 1
    [pop] = agent.pops_after_one(f"simulator:{second}")
    assert pop["contact"]["id"] == str(jonas["id"])

    desk.put_settings(always_query_helpdesk=True)
    [third] = desk.play(inbound("+15135557602", "2006"))
    desk.wait_call(third)
    assert len(searches_for(desk, "5135557602")) == 2  # F9 on: every call asks Zendesk
    assert len(agent.pops_after_one(f"simulator:{third}")) == 1
    tickets = desk.tickets_of("+15135557602")
    assert len(tickets) == 3
    assert all(len(voice_comments(t)) == 1 for t in tickets)
    assert desk.zendesk.validation_errors() == []


def test_unknown_callers_get_one_automatic_contact_and_rule_subjects(desk: Stack) -> None:
    mei, omar = desk.zendesk_agents["2007"], desk.zendesk_agents["2006"]
    calls = desk.play(
        inbound("+15135557603", "2007", no_answer=True),
        outbound("2007", "+15135557604", no_answer=True),
        outbound("2006", "+15135557605"),
    )
    for call_id in calls:
        desk.wait_call(call_id)

    for number in ("+15135557603", "+15135557604", "+15135557605"):
        [contact] = users_with_phone(desk, number)
        assert contact["name"] == f"Automatic New Contact {number}"
        assert contact["role"] == "end-user"
        assert only_ticket(desk, number)["requester_id"] == contact["id"]

    missed = only_ticket(desk, "+15135557603")
    # the seed's style: an automatic placeholder name is never shown, only <number>
    assert missed["subject"] == "Inbound No Answer- from <+15135557603> to Mei Lin<2007>"
    [voice] = voice_comments(missed)
    assert "answered_by_id" not in voice["data"]  # nobody answered
    assert voice["data"]["recording_url"] is None  # playback is off
    unanswered = only_ticket(desk, "+15135557604")
    assert unanswered["subject"] == "Outbound No Answer- from Mei Lin<2007> to <+15135557604>"
    assert unanswered["assignee_id"] == mei["id"]
    answered = only_ticket(desk, "+15135557605")
    assert answered["subject"] == "Outbound Answered- from Omar Diaz<2006> to <+15135557605>"
    assert answered["assignee_id"] == omar["id"]
    [voice] = voice_comments(answered)
    assert voice["data"]["answered_by_id"] == omar["id"]
    # automatic pops are for inbound calls only
    assert desk.agent("2006").pops(f"simulator:{calls[2]}") == []
    assert desk.zendesk.validation_errors() == []


def test_a_queue_call_is_journaled_for_the_answering_agent_only_when_set(desk: Stack) -> None:
    desk.zendesk.add_user("Quinn Queue", phone="+15135557606")
    kristin, omar = desk.zendesk_agents["2005"], desk.zendesk_agents["2006"]
    first_agent, second_agent = desk.agent("2006"), desk.agent("2005")

    def queue_call() -> str:
        [call_id] = desk.play(
            CallScenario(
                caller="+15135557606",
                callee="5550100",
                queue="support",
                agents=("2006", "2005"),
                answer_after=1.0,
                talk=1.0,
            )
        )
        desk.wait_call(call_id)
        return call_id

    skipped = queue_call()
    [ticket] = [t for t in desk.tickets_of("+15135557606")]
    assert ticket["assignee_id"] == kristin["id"]
    [voice] = voice_comments(ticket)
    assert voice["data"]["answered_by_id"] == kristin["id"]
    for console in (first_agent, second_agent):  # both were rung: one pop each
        assert len(console.pops_after_one(f"simulator:{skipped}")) == 1

    desk.put_settings(skip_missed_for_unanswered_agents=False)
    queue_call()
    second = [t for t in desk.tickets_of("+15135557606") if t["id"] != ticket["id"]]
    assert len(second) == 1
    journals = voice_comments(second[0])
    assert len(journals) == 2
    assert {j["data"].get("answered_by_id") for j in journals} == {kristin["id"], None}
    assert omar["id"] not in {j["data"].get("answered_by_id") for j in journals}
    assert desk.zendesk.validation_errors() == []


def test_before_call_tickets_get_the_journal_when_the_call_ends(desk: Stack) -> None:
    desk.put_settings(tickets={"timing": "before_call"})
    desk.zendesk.add_user("Bea Before", phone="+15135557607")
    posts_before = len(desk.zendesk.requests("POST", "/api/v2/tickets*"))
    puts_before = len(desk.zendesk.requests("PUT", "/api/v2/tickets/*"))

    calls = desk.play(inbound("+15135557607"), outbound("2009", "+15135557608"))
    for call_id in calls:
        desk.wait_call(call_id)

    inbound_ticket = only_ticket(desk, "+15135557607")
    assert inbound_ticket["subject"].startswith("Inbound ")
    assert "Bea Before<+15135557607>" in inbound_ticket["subject"]
    [voice] = voice_comments(inbound_ticket)
    assert voice["data"]["answered_by_id"] == desk.zendesk_agents["2005"]["id"]
    outbound_ticket = only_ticket(desk, "+15135557608")
    assert outbound_ticket["subject"].startswith("Outbound ")
    assert len(voice_comments(outbound_ticket)) == 1
    # one ticket at the ring, one voice comment added at the end, per call
    assert len(desk.zendesk.requests("POST", "/api/v2/tickets*")) == posts_before + 2
    assert len(desk.zendesk.requests("PUT", "/api/v2/tickets/*")) == puts_before + 2
    assert desk.zendesk.validation_errors() == []


def test_only_the_chosen_after_call_types_get_tickets(desk: Stack) -> None:
    desk.put_settings(
        tickets={
            "after_call": {
                "inbound_answered": False,
                "inbound_missed": True,
                "outbound_answered": False,
                "outbound_unanswered": False,
            }
        }
    )
    calls = desk.play(inbound("+15135557609"), inbound("+15135557610", no_answer=True))
    for call_id in calls:
        desk.wait_call(call_id)
    assert desk.tickets_of("+15135557609") == []
    assert only_ticket(desk, "+15135557610")["subject"].startswith("Inbound No Answer-")


def test_manual_contact_creation_by_the_agent_during_the_call(desk: Stack) -> None:
    desk.put_settings(contact_creation={"mode": "manual"})
    agent = desk.agent("2007")
    [call_id] = desk.play(inbound("+15135557612", "2007", no_answer=True))
    desk.wait_call(call_id)
    assert users_with_phone(desk, "+15135557612") == []  # nobody created it
    assert desk.tickets_of("+15135557612") == []  # no contact, no ticket
    [pop] = agent.pops_after_one(f"simulator:{call_id}")
    assert pop["contact"] is None and pop["url"] is None

    scenario = CallScenario(caller="+15135557613", callee="2007", answer_after=3.0, talk=0.5)
    playing = threading.Thread(target=desk.play, args=(scenario,))
    playing.start()
    try:
        agent.wait_for(lambda m: m.get("call_id") == f"simulator:{scenario.call_id}")
        agent.send({"type": "create_contact", "call_id": f"simulator:{scenario.call_id}"})
        created = agent.wait_for(
            lambda m: (
                m.get("trigger") == "manual" and m.get("call_id") == f"simulator:{scenario.call_id}"
            )
        )
    finally:
        playing.join(30)
    desk.wait_call(scenario.call_id)
    [contact] = users_with_phone(desk, "+15135557613")
    assert created["contact"]["id"] == str(contact["id"])
    assert only_ticket(desk, "+15135557613")["requester_id"] == contact["id"]


def test_deskline_simulate_call_as_a_process(desk: Stack) -> None:
    agent = desk.agent("2005")
    call_id = desk.simulate(
        "--from",
        "+15135557614",
        "--to",
        "2005",
        "--answer-after",
        "2",
        "--talk",
        "1",
    )
    desk.wait_call(call_id)
    ticket = only_ticket(desk, "+15135557614")
    assert ticket["subject"] == "Inbound Answered- from <+15135557614> to Kristin Hale<2005>"
    assert len(voice_comments(ticket)) == 1
    assert len(agent.pops_after_one(f"simulator:{call_id}")) == 1
