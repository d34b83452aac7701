"""F28 background refresh: a contact changed on the helpdesk reaches the local index without any
call — through Zendesk's incremental export, or by re-validating the least recently fetched
entries for templates without one — and a run never fetches more than its batch."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from deskline.budget import BudgetRegistry, Grant, LocalBudget, Priority
from deskline.connector import Contact
from deskline.outbox import attempts_of
from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.index_refresh import IndexRefreshScheduler, enqueue_refresh
from deskline.store.models import (
    CallRecord,
    CustomTemplate,
    HelpdeskConnection,
    HelpdeskContact,
    Job,
)
from deskline.store.types import utcnow
from deskline.templates.builtin import builtin_template_paths
from tests.pipeline.harness import Desk

EXPORT = "/api/v2/incremental/users/cursor"
RUTH = "+15135557611"


async def refresh(desk: Desk, key: str, batch: int = 100) -> None:
    async with desk.db.transaction() as session:
        await enqueue_refresh(session, desk.connection_id, batch, key=key)
    await desk.work()


async def indexed(desk: Desk, number: str) -> IndexedContact | None:
    async with desk.db.read() as session:
        match = await desk.pipeline.index.find(session, desk.connection_id, number)
    return match.contact


async def indexed_count(desk: Desk) -> int:
    async with desk.db.read() as session:
        statement = select(func.count()).select_from(HelpdeskContact)
        return int((await session.execute(statement)).scalar_one())


async def finished_jobs(desk: Desk) -> list[Job]:
    return [job for job in await desk.jobs() if job.kind == "helpdesk.index_refresh"]


async def test_a_changed_contact_name_reaches_the_index_without_a_call(desk: Desk) -> None:
    user = desk.emulator.add_user("Ruth Baker", phone=RUTH)
    desk.emulator.advance_clock(61)  # the export leaves out the last minute
    await refresh(desk, "first")
    found = await indexed(desk, RUTH)
    assert found is not None and found.name == "Ruth Baker" and found.origin == "refresh"

    desk.emulator.store.update_user(user, {"name": "Ruth Baker-Hale"})
    desk.emulator.advance_clock(61)
    await refresh(desk, "second")

    found = await indexed(desk, RUTH)
    assert found is not None and found.name == "Ruth Baker-Hale"
    exports = desk.requests("GET", EXPORT)
    assert len(exports) == 2
    assert dict(exports[0].query)["start_time"] == "0"
    assert "cursor" in dict(exports[1].query)  # the second run continued where the first ended
    assert desk.requests("GET", "/api/v2/search") == []  # no lookup needed
    async with desk.db.read() as session:
        calls = (await session.execute(select(func.count()).select_from(CallRecord))).scalar()
    assert calls == 0
    assert [job.state for job in await finished_jobs(desk)] == ["succeeded", "succeeded"]
    assert await desk.logged_requests() == 2  # F32: the background requests are logged too


async def test_refresh_requests_wait_for_the_budget_at_background_priority(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Priority] = []
    real_acquire = LocalBudget.acquire

    async def recording(
        self: LocalBudget, priority: Priority = Priority.JOURNAL, **kw: Any
    ) -> Grant:
        asked.append(Priority(priority))
        return await real_acquire(self, priority, **kw)

    monkeypatch.setattr(LocalBudget, "acquire", recording)
    desk.pipeline.provider.budgets = BudgetRegistry()
    desk.emulator.add_user("Ruth Baker", phone=RUTH)
    desk.emulator.advance_clock(61)
    await refresh(desk, "budget")

    assert asked == [Priority.BACKGROUND]
    assert await indexed(desk, RUTH) is not None


async def test_a_run_never_fetches_more_than_its_batch(desk: Desk) -> None:
    for number in range(5):
        desk.emulator.add_user(f"Caller {number}", phone=f"+1513555{7000 + number:04d}")
    desk.emulator.add_user("No Phone")  # exported, but nothing to find at ring time
    desk.emulator.advance_clock(61)

    await refresh(desk, "batch", batch=2)

    exports = desk.requests("GET", EXPORT)
    assert [dict(r.query)["per_page"] for r in exports] == ["2"] * len(exports)
    details = [job.last_error for job in await finished_jobs(desk)]
    assert all(job.state == "succeeded" for job in await finished_jobs(desk)), details
    assert len(exports) >= 3  # 6 end-users, 2 a page: the next pages were enqueued at once
    for job in await finished_jobs(desk):
        attempts = await attempt_details(desk, job.id)
        exported = [int(m.group(1)) for d in attempts if (m := re.match(r"exported (\d+)", d))]
        assert exported and max(exported) <= 2
    for number in range(5):
        assert await indexed(desk, f"+1513555{7000 + number:04d}") is not None
    assert await indexed_count(desk) == 5  # agents and the phone-less user are not indexed


async def attempt_details(desk: Desk, job_id: int) -> list[str]:
    async with desk.db.read() as session:
        return [a.detail or "" for a in await attempts_of(session, job_id)]


async def use_template_without_export(desk: Desk) -> None:
    """The Zendesk template minus its IndexRefresh scenario, as a custom template."""
    [zendesk] = [p for p in builtin_template_paths() if p.name == "zendesk.xml"]
    xml = re.sub(
        r"\s*<!-- F28:.*?</Scenario>", "", zendesk.read_text(), count=1, flags=re.DOTALL
    ).replace('Key="zendesk"', 'Key="zendesk-lite"')
    assert "IndexRefresh" not in xml
    async with desk.db.transaction() as session:
        session.add(CustomTemplate(key="zendesk-lite", name="Zendesk (no export)", xml=xml))
        row = await session.get(HelpdeskConnection, desk.connection_id)
        assert row is not None
        row.template_key = "zendesk-lite"


async def seed_index(desk: Desk, users: list[Any]) -> None:
    async with desk.db.transaction() as session:
        for age, user in enumerate(users):
            contact = Contact(
                "End-user", str(user.id), user.name, phones={"BusinessNumber": user.phone}
            )
            seen = utcnow() - timedelta(days=10 - age)  # the first is the least recently fetched
            await desk.pipeline.index.upsert(session, desk.connection_id, contact, seen_at=seen)


async def test_without_an_export_the_least_recently_fetched_entries_are_revalidated(
    desk: Desk,
) -> None:
    await use_template_without_export(desk)
    users = [
        desk.emulator.add_user(name, phone=f"+1513555{7100 + n:04d}")
        for n, name in enumerate(["Ana Ruiz", "Li Wei", "Sam Cole"])
    ]
    await seed_index(desk, users)
    for user in users:
        desk.emulator.store.update_user(user, {"name": user.name + " (renamed)"})

    await refresh(desk, "one", batch=2)

    searches = desk.requests("GET", "/api/v2/search")
    assert len(searches) == 2  # the batch: two lookups, the two oldest entries
    names = [(await indexed(desk, f"+1513555{7100 + n:04d}")) for n in range(3)]
    assert [c.name if c else None for c in names] == [
        "Ana Ruiz (renamed)",
        "Li Wei (renamed)",
        "Sam Cole",
    ]

    await refresh(desk, "two", batch=2)  # now Sam Cole's entry is the least recently fetched
    third = await indexed(desk, "+15135557102")
    assert third is not None and third.name == "Sam Cole (renamed)"
    assert desk.requests("GET", EXPORT) == []


async def test_the_scheduler_enqueues_one_run_per_interval_for_a_ready_helpdesk(
    desk: Desk,
) -> None:
    scheduler = IndexRefreshScheduler(desk.db, interval_seconds=300, batch=50)
    assert await scheduler.tick(now=3000)
    assert await scheduler.tick(now=3299)  # the same interval: no second job
    assert await scheduler.tick(now=3300)
    jobs = await finished_jobs(desk)
    assert len(jobs) == 2 and all(job.payload["batch"] == 50 for job in jobs)

    async with desk.db.transaction() as session:
        row = await session.get(HelpdeskConnection, desk.connection_id)
        assert row is not None
        row.enabled = False
    assert not await scheduler.tick(now=3600)
    assert len(await finished_jobs(desk)) == 2
