"""A call journal entry whose answer never came back: the retry asks the ticket first
(CallJournalCheck) and logs the call once, whether or not the lost request had landed.

Zendesk has no idempotency key for ticket updates, so before this a voice comment whose answer
was lost on the wire (or whose worker died before recording it) was added a second time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from deskline.connector.connector import Connector
from deskline.store.db import Database
from deskline.store.models import Job
from deskline.store.types import utcnow
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.faults import FaultKind
from tests.pipeline.harness import (
    DEFAULT_SETTINGS,
    Desk,
    connect_desk,
    inbound_answered,
    queue_answered,
)

RUTH = "+15135557611"
BEFORE_CALL = {"tickets": {"enabled": True, "timing": "before_call"}, "call_journal": True}


def voice_comments(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in ticket["comments"] if c.get("type") == "VoiceComment"]


async def call_and_journal(desk: Desk, journal_fault: FaultKind | None = None) -> None:
    """Ruth calls: the before-call ticket is made while it rings; once the call ends its
    journal job runs, its PUT meeting ``journal_fault`` first."""
    await desk.set_settings(**BEFORE_CALL)
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await desk.events(*inbound_answered("c1", RUTH)[:2])
    await desk.work()
    await desk.events(*inbound_answered("c1", RUTH)[2:])
    await desk.settle()
    if journal_fault is not None:
        desk.emulator.inject_fault("/api/v2/tickets/*", journal_fault, method="PUT", times=1)
    await desk.work()


async def retry_now(desk: Desk) -> None:
    """Make every job waiting for its retry due, and run them."""
    async with desk.db.transaction() as session:
        await session.execute(update(Job).where(Job.state == "pending").values(run_after=utcnow()))
    await desk.work()


def comment_lists(desk: Desk) -> list[Any]:
    """The requests that listed a ticket's comments (CallJournalCheck)."""
    return [r for r in desk.requests("GET", "/api/v2/tickets/*") if r.path.endswith("/comments")]


def journal_jobs_failed_once(jobs: list[Job]) -> bool:
    journal = [j for j in jobs if j.kind == "helpdesk.call_journal"]
    return len(journal) == 1 and journal[0].state == "succeeded" and journal[0].attempts == 2


async def test_an_entry_whose_answer_was_lost_is_found_not_logged_again(desk: Desk) -> None:
    await call_and_journal(desk, "lost_answer")
    (ticket,) = desk.tickets()
    assert len(voice_comments(ticket)) == 1  # Zendesk added it; deskline saw a dropped answer
    assert "journal@c1" not in await desk.actions()

    await retry_now(desk)

    (ticket,) = desk.tickets()
    assert len(voice_comments(ticket)) == 1
    assert len(desk.requests("PUT", "/api/v2/tickets/*")) == 1
    assert [r.path for r in comment_lists(desk)] == [f"/api/v2/tickets/{ticket['id']}/comments"]
    journal = (await desk.actions())["journal@c1"]
    assert journal.state == "done" and journal.detail["found_on_ticket"] is True
    assert journal.remote_id == str(ticket["id"])
    assert journal_jobs_failed_once(await desk.jobs())
    assert desk.emulator.validation_errors() == []


async def test_an_entry_that_never_reached_zendesk_is_written_on_the_retry(desk: Desk) -> None:
    await call_and_journal(desk, "drop")
    (ticket,) = desk.tickets()
    assert voice_comments(ticket) == []

    await retry_now(desk)

    (ticket,) = desk.tickets()
    assert len(voice_comments(ticket)) == 1
    assert len(desk.requests("PUT", "/api/v2/tickets/*")) == 2
    assert len(comment_lists(desk)) == 1
    journal = (await desk.actions())["journal@c1"]
    assert journal.state == "done" and "found_on_ticket" not in journal.detail
    assert journal_jobs_failed_once(await desk.jobs())


async def test_a_first_attempt_does_not_ask_the_ticket(desk: Desk) -> None:
    await call_and_journal(desk)
    (ticket,) = desk.tickets()
    assert len(voice_comments(ticket)) == 1
    assert comment_lists(desk) == []


async def test_the_entries_already_recorded_are_counted_with_the_one_in_the_ticket(
    tmp_path: Path, sqlite_db: Database, zendesk: RunningEmulator
) -> None:
    """After the call the ticket carries the answering agent's entry; the agent who missed
    the queue call gets a second one by PUT, whose answer is lost: the ticket then holds two
    voice comments, one more than the one deskline recorded."""
    agents = (
        ("2005", "Kristin Hale", "kristin@acme.test"),
        ("2006", "Omar Diaz", "omar@acme.test"),
    )
    settings = {**DEFAULT_SETTINGS, "skip_missed_for_unanswered_agents": False}
    desk = await connect_desk(sqlite_db, tmp_path, zendesk, settings=settings, agents=agents)
    try:
        desk.emulator.add_user("Ruth Baker", phone=RUTH)
        await desk.events(*queue_answered("q1", RUTH, rung="2005", answering="2006"))
        await desk.settle()
        desk.emulator.inject_fault("/api/v2/tickets/*", "lost_answer", method="PUT", times=1)
        await desk.work()
        await retry_now(desk)

        (ticket,) = desk.tickets()
        voices = voice_comments(ticket)
        assert len(voices) == 2
        assert voices[0]["data"]["answered_by_id"] == desk.agents["2006"].id
        assert "answered_by_id" not in voices[1]["data"]  # the "No Answer" entry, once
        assert len(desk.requests("PUT", "/api/v2/tickets/*")) == 1
        actions = await desk.actions()
        assert actions["journal@q1"].detail.get("in_ticket") is True
        assert actions["journal:2005@q1"].detail["found_on_ticket"] is True
    finally:
        await desk.pipeline.provider.aclose()


async def test_without_call_journal_check_the_entry_is_written_again(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template that cannot list a ticket's entries gets at least once: the documented
    alternative to losing the entry."""
    monkeypatch.setattr(Connector, "checks_journal", property(lambda self: False))
    await call_and_journal(desk, "lost_answer")
    await retry_now(desk)

    (ticket,) = desk.tickets()
    assert len(voice_comments(ticket)) == 2
    assert comment_lists(desk) == []
