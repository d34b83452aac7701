"""A worker that dies after the helpdesk created a contact but before deskline recorded it:
the job's next attempt asks the helpdesk again instead of creating a second contact (found by
bench/suite.py's fault_worker_sigkill: two end-users for one new caller)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from deskline.pipeline.contact_index import ContactIndex
from deskline.store.models import Job
from deskline.store.types import utcnow
from tests.pipeline.harness import Desk, inbound_answered

NEW_CALLER = "+15135557690"


def end_users(desk: Desk, number: str) -> list[dict[str, Any]]:
    users = desk.emulator.state()["users"]
    return [u for u in users if u["role"] == "end-user" and u.get("phone") == number]


async def test_a_contact_created_by_a_dead_attempt_is_found_not_created_again(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.events(*inbound_answered("c9", NEW_CALLER))
    await desk.settle()
    upsert = ContactIndex.upsert

    async def dies_after_the_helpdesk_answered(self: ContactIndex, *args: Any, **kw: Any) -> Any:
        if kw.get("origin") == "created":
            raise ConnectionError("the worker died here")
        return await upsert(self, *args, **kw)

    monkeypatch.setattr(ContactIndex, "upsert", dies_after_the_helpdesk_answered)
    job = await desk.worker.claim()
    assert job is not None and job.kind == "helpdesk.lookup"
    await desk.worker.execute(job)
    assert len(end_users(desk, NEW_CALLER)) == 1  # created in Zendesk, not known to deskline
    monkeypatch.setattr(ContactIndex, "upsert", upsert)

    async with desk.db.transaction() as session:  # its retry is due now
        await session.execute(update(Job).where(Job.id == job.id).values(run_after=utcnow()))
    await desk.work()

    [user] = end_users(desk, NEW_CALLER)
    assert len(desk.requests("POST", "/api/v2/users*")) == 1
    [ticket] = [t for t in desk.tickets() if NEW_CALLER in t["subject"]]
    assert ticket["requester_id"] == user["id"]
