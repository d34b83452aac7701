"""Ring-time pops sent before the ring is stored (the listener's early step)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from deskline.calls.events import CallEvent, CallOffered, LegAnswered, LegRinging
from deskline.calls.model import Direction, Party
from deskline.connector import Contact
from deskline.store.types import utcnow
from tests.pipeline.harness import Desk
from tests.pipeline.test_pops_sync_recordings import RUTH, Tab


def live_ring(
    call_id: str, caller: str, ext: str = "2005", at: datetime | None = None
) -> list[CallEvent]:
    """A ring as a live PBX stream delivers it: happening now."""
    at = at or utcnow()
    return [
        CallOffered(
            call_id=call_id,
            at=at,
            key=f"{call_id}:offer",
            caller=Party(number=caller, raw=caller),
            callee=Party(number="5550100", raw="5550100"),
            did="5550100",
            direction=Direction.INBOUND,
        ),
        LegRinging(call_id=call_id, at=at, key=f"{call_id}:ring:{ext}", extension=ext),
    ]


async def index_contact(desk: Desk, remote_id: str, name: str, phone: str) -> None:
    first, last = name.split(" ", 1)
    contact = Contact(
        "Contact",
        remote_id,
        first_name=first,
        last_name=last,
        phones={"BusinessNumber": phone},
        popup_url=f"https://acme.zendesk.com/agent/users/{remote_id}",
    )
    async with desk.db.transaction() as session:
        await desk.pipeline.index.upsert(session, desk.connection_id, contact)


@asynccontextmanager
async def writer_held(desk: Desk) -> AsyncIterator[None]:
    """Another write transaction holds SQLite's writer meanwhile (e.g. a job finishing)."""
    entered = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with desk.db.transaction():
            entered.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await entered.wait()
    try:
        yield
    finally:
        release.set()
        await holder


async def stored_calls(desk: Desk) -> int:
    from sqlalchemy import func, select

    from deskline.store.models import CallRecord

    async with desk.db.read() as session:
        return int(
            (await session.execute(select(func.count()).select_from(CallRecord))).scalar_one()
        )


async def wait_for(condition: Any, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.005)


async def test_a_known_caller_is_popped_while_the_ring_waits_to_be_stored(desk: Desk) -> None:
    await index_contact(desk, "901", "Ruth Baker", RUTH)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)

    async with writer_held(desk):
        delivery = asyncio.create_task(desk.ingestor(live_ring("c1", RUTH)))
        await wait_for(lambda: tab.messages)
        assert not delivery.done()  # not stored (nor acknowledged) yet
        assert await stored_calls(desk) == 0
    await delivery

    (pop,) = tab.messages  # the stored path did not pop again
    assert pop["call_id"] == "pbx:c1" and pop["trigger"] == "ringing"
    assert pop["contact"]["name"] == "Ruth Baker"
    assert pop["url"] == "https://acme.zendesk.com/agent/users/901"
    assert await stored_calls(desk) == 1
    assert desk.api_requests() == []  # the index knew Ruth: no lookup
    assert [job.kind for job in await desk.jobs()] == []


async def test_the_rest_of_a_popped_call_pops_nothing_and_reads_nothing_early(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a call is popped, its later events find nothing due by what is cached, and the
    early step opens no database session for them (every call's end goes through it)."""
    await index_contact(desk, "901", "Ruth Baker", RUTH)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    urgent_reads: list[bool] = []
    read = desk.db.direct_read

    def counting_read(*, urgent: bool = False) -> Any:
        urgent_reads.append(urgent)
        return read(urgent=urgent)

    monkeypatch.setattr(desk.db, "direct_read", counting_read)
    await desk.ingestor(live_ring("c1", RUTH))
    assert len(tab.messages) == 1 and urgent_reads.count(True) == 1  # the ring: read, popped
    urgent_reads.clear()

    answered = utcnow()
    await desk.ingestor(
        [LegAnswered(call_id="c1", at=answered, key="c1:answer:2005", extension="2005")]
    )

    assert len(tab.messages) == 1
    assert urgent_reads.count(True) == 0


async def test_an_unknown_caller_waits_for_the_lookup_as_before(desk: Desk) -> None:
    ruth = desk.emulator.add_user("Ruth Baker", phone=RUTH)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    async with writer_held(desk):
        delivery = asyncio.create_task(desk.ingestor(live_ring("c1", RUTH)))
        await asyncio.sleep(0.2)
        assert tab.messages == []  # nothing to pop from the index
    await delivery
    assert tab.messages == []
    await desk.work()
    (pop,) = tab.messages
    assert pop["contact"]["id"] == str(ruth.id)


async def test_a_replayed_ring_is_popped_only_once_it_is_stored(desk: Desk) -> None:
    await index_contact(desk, "901", "Ruth Baker", RUTH)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    old = live_ring("c1", RUTH, at=utcnow() - timedelta(minutes=10))
    async with writer_held(desk):
        delivery = asyncio.create_task(desk.ingestor(old))
        await asyncio.sleep(0.2)
        assert tab.messages == []  # old events: no early pop
    await delivery
    (pop,) = tab.messages  # the stored path popped it
    assert pop["call_id"] == "pbx:c1"


async def test_a_ring_that_failed_to_store_is_not_popped_again_on_redelivery(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskline import ingest

    await index_contact(desk, "901", "Ruth Baker", RUTH)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)
    real_insert = ingest.event_rows.insert_new_events
    tries = 0

    async def fails_first(*args: Any) -> Any:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise RuntimeError("disk I/O error")
        return await real_insert(*args)

    monkeypatch.setattr(ingest.event_rows, "insert_new_events", fails_first)
    ring = live_ring("c1", RUTH)
    with pytest.raises(RuntimeError, match="disk"):
        await desk.ingestor(ring)
    assert len(tab.messages) == 1  # popped early, although the ring was not stored
    assert await stored_calls(desk) == 0

    await desk.ingestor(ring)  # the PBX sends it again
    assert len(tab.messages) == 1
    assert await stored_calls(desk) == 1


@pytest.mark.parametrize("early", [True, False], ids=["popped-early", "popped-when-stored"])
async def test_talk_partner_edition_displays_a_caller_the_index_knows(
    desk: Desk, early: bool
) -> None:
    await desk.set_settings(talk_partner_edition=True)
    ruth = desk.emulator.add_user("Ruth Baker", phone=RUTH)
    await index_contact(desk, str(ruth.id), "Ruth Baker", RUTH)
    tab = Tab()
    desk.pipeline.hub.connect("2005", tab)

    at = utcnow() if early else utcnow() - timedelta(minutes=10)
    await desk.ingestor(live_ring("c1", RUTH, at=at))
    assert len(tab.messages) == 1
    await desk.work()

    assert len(desk.emulator.displays) == 1
    (post,) = desk.requests("POST", "/api/v2/channels/voice/agents/*")
    assert post.path.endswith(f"/agents/{desk.agents['2005'].id}/users/{ruth.id}/display")
    assert desk.requests("GET", "/api/v2/search*") == []  # the index knew Ruth
