"""Pops that fall due while the call's helpdesk lookup is still running.

The lookup job asks the helpdesk, creates the contact when nobody has the number (F10), then
pops. An agent whose pop is due on "ended" must get the contact even when the call ends in the
middle of that job (a short call: the AMI replay of a queue call ends within milliseconds),
and must get a pop at all when the job gave up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from deskline.errors import JobError, PermanentJobError
from deskline.pipeline import listener as listener_module
from deskline.pipeline.contact_index import IndexMatch
from deskline.pipeline.jobs import contacts
from deskline.pipeline.jobs import lookup as lookup_module
from deskline.store.db import Database
from deskline.store.models import Job, JobState
from tests.fakes.zendesk import RunningEmulator
from tests.pipeline.harness import Desk, connect_desk, inbound_answered
from tests.pipeline.test_pops_sync_recordings import Tab

CALLER = "+15557654321"


@pytest.fixture
async def desk(
    sqlite_db: Database,
    tmp_path: Path,
    zendesk: RunningEmulator,
) -> AsyncIterator[Desk]:
    connected = await connect_desk(sqlite_db, tmp_path, zendesk, pop_trigger="ended")
    try:
        yield connected
    finally:
        await connected.pipeline.provider.aclose()


def created_contact(desk: Desk) -> Any:
    [user] = [u for u in desk.emulator.state()["users"] if u.get("phone") == CALLER]
    return user


def displayed(desk: Desk) -> list[tuple[int, int]]:
    """The Talk Partner Edition displays Zendesk was asked for: (agent, user)."""
    return [(d.agent_id, d.target_id) for d in desk.emulator.displays if d.kind == "user"]


@pytest.mark.parametrize("talk_partner", [False, True])
async def test_a_call_ending_while_its_contact_is_created_pops_the_created_contact(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, talk_partner: bool
) -> None:
    await desk.set_settings(talk_partner_edition=talk_partner)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    events = inbound_answered("c1", CALLER)
    await desk.events(*events[:3])  # ringing, answered: the lookup job is enqueued
    original = contacts._create
    ended = False

    async def end_the_call_first(*args: Any, **kwargs: Any) -> Any:
        # the helpdesk has answered "nobody" (the lookup action is recorded); before the
        # contact is created, the call ends and its change is stored
        nonlocal ended
        if not ended:
            ended = True
            await desk.events(*events[3:])
            assert tab.messages == []  # not popped without the contact about to be created
        return await original(*args, **kwargs)

    monkeypatch.setattr(contacts, "_create", end_the_call_first)
    await desk.work()

    assert ended
    [pop] = tab.messages
    assert pop["trigger"] == "ended"
    contact_id = created_contact(desk)["id"]
    assert pop["contact"]["id"] == str(contact_id)
    # with Talk Partner Edition, Zendesk's own pop of the created contact, once
    assert displayed(desk) == ([(desk.agents["2005"].id, contact_id)] if talk_partner else [])


@pytest.mark.parametrize("talk_partner", [False, True])
async def test_a_lookup_finishing_just_before_the_end_is_stored_pops_from_the_ingest(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, talk_partner: bool
) -> None:
    """The ingest storing the end saw the job running and the contact not indexed yet; the job
    finished (its look at the call after its commit still saw the call live) before the ingest
    committed. The ingest looks again after its commit, and pops."""
    await desk.set_settings(talk_partner_edition=talk_partner)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    events = inbound_answered("c1", CALLER)
    await desk.events(*events[:3])
    await desk.work()  # the lookup creates the contact; "ended" is not due yet
    assert tab.messages == []
    # what the ingest's transaction saw: the job running, the contact not in the index yet
    job_state, local_match = listener_module.job_state_by_idempotency_key, desk.pipeline.local_match
    looks: list[str] = []

    async def running_when_first_seen(session: Any, key: str) -> str | None:
        state = await job_state(session, key)
        looks.append(key)
        assert state == JobState.SUCCEEDED
        return JobState.RUNNING if len(looks) == 1 else state

    async def unknown_until_looked_again(*args: Any) -> IndexMatch:
        return await local_match(*args) if looks else IndexMatch()

    monkeypatch.setattr(listener_module, "job_state_by_idempotency_key", running_when_first_seen)
    monkeypatch.setattr(desk.pipeline, "local_match", unknown_until_looked_again)
    await desk.events(*events[3:])

    assert len(looks) == 2  # in the transaction, then after its commit
    [pop] = tab.messages
    assert pop["trigger"] == "ended"
    contact_id = created_contact(desk)["id"]
    assert pop["contact"]["id"] == str(contact_id)
    await desk.work()
    assert displayed(desk) == ([(desk.agents["2005"].id, contact_id)] if talk_partner else [])


async def test_a_call_whose_lookup_failed_for_good_still_pops_when_it_ends(desk: Desk) -> None:
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    events = inbound_answered("c1", CALLER)
    await desk.events(*events[:3])
    async with desk.db.transaction() as session:
        await session.execute(update(Job).values(state=JobState.FAILED))

    await desk.events(*events[3:])

    [pop] = tab.messages
    assert pop["trigger"] == "ended"
    assert pop["contact"] is None  # nobody found it: the agent still sees the call


async def test_a_lookup_failing_for_good_after_the_call_ended_pops_without_a_contact(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The call ends while its lookup runs (the ingest leaves the "ended" pop to the job, and
    its look after the commit still sees the job running); then the job fails for good. The
    job's failure pops the call, without a contact."""
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    events = inbound_answered("c1", CALLER)
    await desk.events(*events[:3])

    async def end_the_call_then_fail(*args: Any, **kwargs: Any) -> Any:
        await desk.events(*events[3:])
        assert tab.messages == []  # left to the running lookup
        raise PermanentJobError("the helpdesk refused the search")

    monkeypatch.setattr(lookup_module, "resolve_contact", end_the_call_then_fail)
    await desk.work()

    [job] = [j for j in await desk.jobs() if j.kind == "helpdesk.lookup"]
    assert job.state == JobState.FAILED
    [pop] = tab.messages
    assert pop["trigger"] == "ended"
    assert pop["contact"] is None


async def test_a_lookup_that_will_be_retried_holds_the_pop(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    events = inbound_answered("c1", CALLER)
    await desk.events(*events[:3])

    async def end_the_call_then_stumble(*args: Any, **kwargs: Any) -> Any:
        await desk.events(*events[3:])
        raise JobError("the helpdesk timed out")

    monkeypatch.setattr(lookup_module, "resolve_contact", end_the_call_then_stumble)
    await desk.work()

    [job] = [j for j in await desk.jobs() if j.kind == "helpdesk.lookup"]
    assert job.state == JobState.PENDING  # tried again later: it will pop then
    assert tab.messages == []
