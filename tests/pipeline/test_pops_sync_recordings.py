"""Pops after a helpdesk lookup, contact sync (F8), Talk Partner Edition (F29), recordings."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from deskline.connector import Contact
from deskline.integration.sync_problems import sync_problems
from deskline.pipeline.recordings import RecordingOptions
from deskline.pipeline.service import PipelineOptions
from deskline.store.models import PhonebookContact, PhonebookGroup
from tests.calls import builders as b
from tests.pipeline.harness import Desk, inbound_answered

RUTH = "+15135557611"


class Tab:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


async def test_an_unknown_caller_is_popped_once_the_helpdesk_lookup_finds_them(desk: Desk) -> None:
    ruth = desk.emulator.add_user("Ruth Baker", phone=RUTH)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    await desk.events(*inbound_answered("c1", RUTH)[:2])  # ringing; not in the local index
    assert tab.messages == []
    await desk.work()
    (pop,) = tab.messages
    assert pop["contact"]["id"] == str(ruth.id)
    assert pop["url"].endswith(f"/agent/users/{ruth.id}")

    # the next call from Ruth pops at ring time from the local index, with no request
    sent = len(desk.api_requests())
    await desk.events(*inbound_answered("c2", RUTH)[:2])
    assert tab.messages[-1]["call_id"] == "pbx:c2"
    assert tab.messages[-1]["contact"]["name"] == "Ruth Baker"
    assert len(desk.api_requests()) == sent


async def test_contacts_are_synced_to_the_group_and_problems_recorded(desk: Desk) -> None:
    async with desk.db.transaction() as session:
        group = PhonebookGroup(name="Zendesk", label="Helpdesk", connection_id=desk.connection_id)
        session.add(group)
        await session.flush()
        group_id = group.id
    await desk.set_settings(contact_sync_group_id=group_id)
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*inbound_answered("c1", RUTH))
    await desk.settle()
    await desk.work()
    async with desk.db.read() as session:
        (contact,) = (await session.execute(select(PhonebookContact))).scalars()
    assert contact.group_id == group_id
    assert contact.first_name == "Ruth Baker"
    assert RUTH in contact.numbers.values()

    nameless = "+15135550000"  # a contact without a name, known to the index
    async with desk.db.transaction() as session:
        phones = {"BusinessNumber": nameless}
        await desk.pipeline.index.upsert(
            session, desk.connection_id, Contact("End-user", "77", phones=phones)
        )
    await desk.events(*inbound_answered("c2", nameless)[:2])
    async with desk.db.read() as session:
        problems = await sync_problems(session)
    assert problems[0]["remote_id"] == "77"
    assert "no first or last name" in problems[0]["reason"]


async def test_talk_partner_edition_displays_the_caller_to_the_agent(desk: Desk) -> None:
    await desk.set_settings(talk_partner_edition=True)
    ruth = desk.emulator.add_user("Ruth Baker", phone=RUTH)
    desk.pipeline.hub.connect("2005", Tab())
    await desk.events(*inbound_answered("c1", RUTH)[:2])
    await desk.work()
    assert len(desk.emulator.displays) == 1
    posts = desk.requests("POST", "/api/v2/channels/voice/agents/*")
    assert len(posts) == 1
    assert posts[0].path.endswith(f"/agents/{desk.agents['2005'].id}/users/{ruth.id}/display")


async def test_the_journal_links_deskline_s_recording(desk: Desk) -> None:
    await desk.set_settings(play_recording=True)
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    desk.pbx.files["/mon/c1.wav"] = b"RIFFdataWAVE"
    await desk.events(*inbound_answered("c1", RUTH, recording="/mon/c1.wav"))
    await desk.settle()
    await desk.work()
    (ticket,) = desk.tickets()
    (voice,) = [c for c in ticket["comments"] if c.get("type") == "VoiceComment"]
    url = voice["data"]["recording_url"]
    assert url.startswith("https://deskline.test/recordings/")
    assert "exp=" in url and "sig=" in url
    assert desk.pbx.fetches == ["/mon/c1.wav"]


async def test_a_recording_not_ready_waits_then_the_journal_goes_without_it(desk: Desk) -> None:
    from sqlalchemy import update

    from deskline.store.models import Job

    await desk.set_settings(play_recording=True)
    window = RecordingOptions(not_ready_window_seconds=10**9, not_ready_retry_seconds=10)
    desk.pipeline.options = PipelineOptions(wait_seconds=60, recordings=window)
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*inbound_answered("c1", RUTH, recording="/mon/late.wav"))
    await desk.settle()
    await desk.work()
    assert desk.tickets() == []  # the ticket (carrying the journal) waits for the recording
    (ticket_job,) = [j for j in await desk.jobs() if j.kind == "helpdesk.create_ticket"]
    assert ticket_job.state == "pending"
    assert "recording not ready" in (ticket_job.last_error or "")

    # two minutes later it is still not there: give up, write the journal without it
    async with desk.db.transaction() as session:
        await session.execute(update(Job).values(run_after=Job.created_at))
    gave_up = RecordingOptions(not_ready_window_seconds=0)
    desk.pipeline.options = PipelineOptions(wait_seconds=60, recordings=gave_up)
    await desk.work()
    (ticket,) = desk.tickets()
    (voice,) = [c for c in ticket["comments"] if c.get("type") == "VoiceComment"]
    assert "recording_url" not in voice["data"] or not voice["data"]["recording_url"]
    assert len(desk.pbx.fetches) == 2


async def test_anonymous_and_own_numbers_are_never_looked_up(desk: Desk) -> None:
    desk.pipeline.options = PipelineOptions(own_numbers=("+15550001111",))
    await desk.events(b.offered(0, caller="anonymous", callee="5550100", call_id="a1"))
    await desk.events(b.ringing(0.1, "2005", call_id="a1"))
    await desk.events(b.offered(0, caller="+15550001111", callee="5550100", call_id="a2"))
    await desk.events(b.ringing(0.1, "2005", call_id="a2"))
    await desk.work()
    assert desk.api_requests() == []


async def test_manual_contact_creation_from_the_agent(desk: Desk) -> None:
    await desk.set_settings(contact_creation={"mode": "manual"})
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    await desk.events(*inbound_answered("c1", RUTH)[:3])  # answered, unknown caller
    await desk.work()
    assert not desk.requests("POST", "/api/v2/users*")  # manual: nothing created by itself

    reply = await desk.pipeline.agent_request(
        "2005", {"type": "create_contact", "call_id": "pbx:c1"}
    )
    assert reply == {"type": "accepted", "call_id": "pbx:c1", "action": "create_contact"}
    await desk.work()
    (user,) = [u for u in desk.emulator.state()["users"] if u["role"] == "end-user"]
    assert user["name"] == f"Automatic New Contact {RUTH}"
    assert tab.messages[-1]["contact"]["id"] == str(user["id"])
    refused = await desk.pipeline.agent_request("2006", {"type": "open", "call_id": "pbx:c1"})
    assert refused is not None and refused["type"] == "error"


async def test_a_ring_rolled_back_is_decided_again_when_the_pbx_delivers_it_again(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ruth = desk.emulator.add_user("Ruth Baker", phone=RUTH)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    real_match = desk.pipeline.local_match
    tries: list[object] = []

    async def fails_first(*args: Any) -> Any:
        tries.append(args)
        if len(tries) == 1:
            raise RuntimeError("the index could not be read")
        return await real_match(*args)

    monkeypatch.setattr(desk.pipeline, "local_match", fails_first)
    ring = inbound_answered("c1", RUTH)[:2]
    with pytest.raises(RuntimeError, match="index"):
        await desk.events(*ring)
    assert await desk.jobs() == []  # nothing of the failed transaction stayed

    await desk.events(*ring)  # the PBX retries: decided afresh, not "already done"
    assert [job.kind for job in await desk.jobs()] == ["helpdesk.lookup"]
    await desk.work()
    (pop,) = tab.messages
    assert pop["contact"]["id"] == str(ruth.id)
