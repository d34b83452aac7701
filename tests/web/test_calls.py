"""Calls ingested through the webhook show in the API, decided, filtered and paged; a call's
detail carries its stored events and its jobs."""

from __future__ import annotations

from deskline.calls.model import CallStatus
from deskline.outbox import enqueue
from deskline.pbx.simulator.scenario import CallScenario
from tests.web.calls_helpers import call_events, decided_calls, post_call, post_events
from tests.web.conftest import Server


async def test_an_answered_call_appears_with_its_status(server: Server) -> None:
    await post_call(server, CallScenario(caller="+15551234567", callee="2005", name="Ada"))
    [call] = await decided_calls(server, 1)
    summary = call["call"]
    assert call["source"] == "simulator"
    assert summary["status"] == "answered"
    assert summary["direction"] == "inbound"
    assert summary["caller"] == {"number": "+15551234567", "name": "Ada"}
    assert summary["answered_by"] == "2005"
    assert [leg["extension"] for leg in summary["legs"]] == ["2005"]


async def test_filters_by_status_direction_number_and_extension(server: Server) -> None:
    await post_call(server, CallScenario(caller="+15551234567", callee="2005"), minutes_ago=30)
    await post_call(
        server, CallScenario(caller="+15557654321", callee="2006", no_answer=True), minutes_ago=20
    )
    await post_call(
        server, CallScenario(caller="2005", callee="+15550001111", outbound=True), minutes_ago=10
    )
    await decided_calls(server, 3)

    async def ids(**params: str) -> list[str]:
        calls = (await server.admin.get("/api/calls", params=params)).json()["calls"]
        return [c["call"]["caller"]["number"] for c in calls]

    assert await ids() == ["2005", "+15557654321", "+15551234567"]  # newest first
    assert await ids(status="no_answer") == ["+15557654321"]
    assert await ids(direction="outbound") == ["2005"]
    assert await ids(number="(555) 765-4321") == ["+15557654321"]  # normalised like stored
    assert await ids(extension="2005") == ["2005", "+15551234567"]
    assert await ids(status="in_progress") == []
    for status in [s.value for s in CallStatus]:
        assert (await server.admin.get("/api/calls", params={"status": status})).status_code == 200
    bad = await server.admin.get("/api/calls", params={"status": "lost"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["path"] == "query.status"


async def test_cursor_pagination_walks_every_call_once(server: Server) -> None:
    for minute in range(5):
        await post_call(
            server,
            CallScenario(caller=f"+1555000000{minute}", callee="2005"),
            minutes_ago=50 - minute,
        )
    await decided_calls(server, 5)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": str(cursor)} if cursor else {})}
        page = (await server.admin.get("/api/calls", params=params)).json()
        seen += [call["id"] for call in page["calls"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)


async def test_call_detail_has_its_events_and_jobs(server: Server) -> None:
    await post_call(server, CallScenario(caller="+15551234567", callee="2005"))
    [call] = await decided_calls(server, 1)
    call_id = call["call"]["call_id"]
    async with server.runtime.db.transaction() as session:
        await enqueue(
            session, "test.echo", {"message": "hi"}, ordering_key=f"call:simulator:{call_id}"
        )
        await enqueue(session, "test.echo", {}, ordering_key="call:simulator:another")
    detail = (await server.admin.get(f"/api/calls/{call['id']}")).json()
    kinds = [event["kind"] for event in detail["events"]]
    assert kinds[0] == "call.offered" and "call.hungup" in kinds
    assert [job["kind"] for job in detail["jobs"]] == ["test.echo"]
    events = (await server.admin.get(f"/api/calls/{call['id']}/events")).json()
    assert events == detail["events"]
    missing = await server.admin.get("/api/calls/999999")
    assert missing.status_code == 404 and missing.json()["message"] == "no call 999999"


async def test_redelivered_events_are_not_stored_twice(server: Server) -> None:
    events = call_events(CallScenario(caller="+15551234567", callee="2005"))
    await post_events(server, events)
    [call] = await decided_calls(server, 1)
    before = (await server.admin.get(f"/api/calls/{call['id']}/events")).json()
    await post_events(server, events)
    after = (await server.admin.get(f"/api/calls/{call['id']}/events")).json()
    assert after == before and len(before) >= len(events)
    assert len((await server.admin.get("/api/calls")).json()["calls"]) == 1
