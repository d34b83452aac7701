"""Zendesk misbehaving while calls come in: nothing is lost, nothing is written twice, and the
admin sees a clear status. All against the real processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deskline.pbx.simulator.scenario import CallScenario
from tests.e2e.processes import wait_until
from tests.e2e.stack import Stack

pytestmark = pytest.mark.slow


def call(number: str, extension: str = "2005") -> CallScenario:
    return CallScenario(caller=number, callee=extension, answer_after=0.5, talk=0.5)


def voice_comments(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in ticket["comments"] if c["type"] == "VoiceComment"]


def assert_delivered_once(desk: Stack, *numbers: str) -> None:
    """Each number: one end-user, one ticket, one journal on it."""
    for number in numbers:
        users = [u for u in desk.zendesk.users("end-user") if u.get("phone") == number]
        assert len(users) == 1, (number, users)
        tickets = desk.tickets_of(number)
        assert len(tickets) == 1, (number, [t["subject"] for t in tickets])
        assert len(voice_comments(tickets[0])) == 1, tickets[0]["comments"]
        assert tickets[0]["requester_id"] == users[0]["id"]


def statuses(desk: Stack, status: int) -> list[dict[str, Any]]:
    return [r for r in desk.zendesk.requests() if r["status"] == status]


def test_zendesk_down_for_a_while_then_back(desk: Stack) -> None:
    desk.zendesk.add_user("Known Caller", phone="+15135557701")
    desk.zendesk.add_fault("/api/v2/*", kind="error", status=503, seconds=3)
    calls = desk.play(call("+15135557701"), call("+15135557702", "2006"))
    for call_id in calls:
        detail = desk.wait_call(call_id, seconds=60)
        assert all(job["state"] == "succeeded" for job in detail["jobs"]), detail["jobs"]
    assert statuses(desk, 503), "the outage was never seen"
    assert_delivered_once(desk, "+15135557701", "+15135557702")
    assert desk.zendesk.validation_errors() == []


def test_a_ticket_answer_lost_on_the_wire_makes_no_second_ticket(desk: Stack) -> None:
    # Zendesk creates the ticket, then the connection drops before deskline reads the answer
    desk.zendesk.add_fault("/api/v2/tickets*", kind="drop", method="POST", times=1)
    [call_id] = desk.play(call("+15135557703"))
    desk.wait_call(call_id, seconds=60)
    posts = [
        r
        for r in desk.zendesk.requests("POST", "/api/v2/tickets*")
        if "+15135557703" in str(r["body"])
    ]
    assert len(posts) == 2  # the dropped one and its retry
    keys = {r["headers"].get("idempotency-key") for r in posts}
    assert len(keys) == 1 and None not in keys  # the same Idempotency-Key both times
    assert_delivered_once(desk, "+15135557703")


def test_an_expired_access_token_is_refreshed(desk: Stack) -> None:
    refreshes_before = len(desk.zendesk.requests("POST", "/oauth/tokens"))
    desk.zendesk.advance_clock(1801)  # Zendesk's 30 minutes are over; deskline does not know
    [call_id] = desk.play(call("+15135557706"))
    desk.wait_call(call_id, seconds=60)
    refused = [r for r in statuses(desk, 401) if r["path"].startswith("/api/v2/")]
    assert refused, "the expired token was never refused"
    refreshes = desk.zendesk.requests("POST", "/oauth/tokens")[refreshes_before:]
    assert [r["status"] for r in refreshes] == [201]
    assert desk.admin.helpdesk()["status"] == "connected"
    assert_delivered_once(desk, "+15135557706")


def test_a_revoked_refresh_token_needs_reauthorization_and_jobs_wait(desk: Stack) -> None:
    desk.zendesk.revoke(client_id="deskline")  # e.g. the admin revoked deskline in Zendesk
    [call_id] = desk.play(call("+15135557707"))

    helpdesk = wait_until(
        lambda: (h := desk.admin.helpdesk())["status"] == "needs_reauth" and h,
        seconds=30,
        what="status needs_reauth",
    )
    assert helpdesk["status_detail"]
    found = wait_until(lambda: desk.find_call(call_id), what="the call")

    def waiting_jobs() -> list[dict[str, Any]]:
        jobs = desk.admin.call("GET", f"/api/calls/{found['id']}")["jobs"]
        return [j for j in jobs if j["state"] == "pending" and "waiting" in (j["last_error"] or "")]

    assert wait_until(waiting_jobs, what="a job waiting for re-authorization")
    jobs = desk.admin.call("GET", f"/api/calls/{found['id']}")["jobs"]
    assert all(job["state"] != "failed" for job in jobs)
    assert desk.tickets_of("+15135557707") == []

    page = desk.admin.connect_zendesk(desk.fields())  # the admin authorizes again
    assert "Connected" in page
    assert desk.admin.helpdesk()["status"] == "connected"
    desk.wait_call(call_id, seconds=60)
    assert_delivered_once(desk, "+15135557707")
    assert desk.zendesk.validation_errors() == []


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[Stack]:
    """An installation of its own: a 429 may hold back every request of the shared one."""
    running = Stack.start(tmp_path)
    running.put_settings()
    try:
        yield running
    finally:
        running.deskline.kill()  # its worker may be held back by the budget: no need to wait
        running.close()


def test_a_429_storm_is_waited_out_after_retry_after(own_stack: Stack) -> None:
    desk = own_stack
    desk.zendesk.storm(requests=4, retry_after=1)
    calls = desk.play(call("+15135557704"), call("+15135557705", "2006"))
    for call_id in calls:
        desk.wait_call(call_id, seconds=12)  # Retry-After is 1 s: a few retries at most
    assert statuses(desk, 429)
    assert_delivered_once(desk, "+15135557704", "+15135557705")
    assert desk.zendesk.validation_errors() == []
