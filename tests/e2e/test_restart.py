"""deskline killed with SIGKILL in the middle of a call and started again: the call completes
with one ticket and one journal in Zendesk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskline.pbx.simulator.scenario import CallScenario, build_steps
from tests.e2e.processes import wait_until
from tests.e2e.stack import Stack

pytestmark = pytest.mark.slow


def test_sigkill_mid_call_then_restart_completes_the_call_once(desk: Stack) -> None:
    desk.put_settings(tickets={"timing": "before_call"})
    desk.zendesk.add_user("Rita Restart", phone="+15135557801")
    scenario = CallScenario(caller="+15135557801", callee="2005", answer_after=1, talk=30)
    steps = build_steps(scenario, datetime.now(UTC))
    ringing_and_answered = [s for s in steps if s.event["event"] in ("ring", "answer")]
    ending = [s for s in steps if s.event["event"] in ("hangup", "cdr")]
    assert len(ringing_and_answered) + len(ending) == len(steps)

    desk.post(ringing_and_answered)
    [ticket] = wait_until(lambda: desk.tickets_of("+15135557801"), what="the before-call ticket")
    assert ticket["subject"].startswith("Inbound Ringing- from Rita Restart<+15135557801>")

    desk.restart_deskline()  # SIGKILL while the call is in progress
    desk.post(ending)
    detail = desk.wait_call(scenario.call_id, seconds=40)

    assert detail["call"]["status"] == "answered"
    assert detail["call"]["answered_by"] == "2005"
    [ticket] = desk.tickets_of("+15135557801")
    journals = [c for c in ticket["comments"] if c["type"] == "VoiceComment"]
    assert len(journals) == 1
    assert journals[0]["data"]["answered_by_id"] == desk.zendesk_agents["2005"]["id"]
    assert journals[0]["data"]["call_duration"] == 30
    creates = [
        r
        for r in desk.zendesk.requests("POST", "/api/v2/tickets*")
        if "+15135557801" in str(r["body"])
    ]
    assert len(creates) == 1
    assert desk.zendesk.validation_errors() == []
