"""AMI captures replayed over TCP by the fake Asterisk into an ``asterisk`` PBX connection of the
deskline process: a queue call and a click-to-call outbound call reach Zendesk with their
journals and MixMonitor recordings served by deskline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.ami import AmiServerThread
from tests.e2e.processes import wait_until
from tests.e2e.stack import Stack

pytestmark = pytest.mark.slow

QUEUE_CALL = ("02_queue_answered.txt", "1795286116.4", "+15557654321", "1795286116.5.wav")
OUTBOUND_CALL = ("09_click_to_call_outbound.txt", "1795286238.46", "+15551234567", None)
WAV = b"RIFF\x24\x10\x00\x00WAVEfmt " + bytes(range(256)) * 16


@pytest.fixture
def ami(desk: Stack, tmp_path: Path) -> Iterator[AmiServerThread]:
    recordings = tmp_path / "monitor"
    recordings.mkdir()
    (recordings / QUEUE_CALL[3]).write_bytes(WAV)
    (recordings / "1795286238.46.wav").write_bytes(WAV[:2000])
    with AmiServerThread() as server:
        desk.admin.add_pbx_connection(
            "office",
            "asterisk",
            {
                "host": "127.0.0.1",
                "port": server.port,
                "username": server.server.username,
                "secret": server.server.secret,
                "recordings_dir": str(recordings),
            },
        )
        wait_until(
            lambda: desk.admin.pbx_connections()["office"]["status"] == "connected",
            seconds=20,
            what="the Asterisk connection",
        )
        try:
            yield server
        finally:
            desk.admin.patch_pbx_connection("office", enabled=False)


def voice_comments(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in ticket["comments"] if c["type"] == "VoiceComment"]


def test_captured_queue_and_outbound_calls_reach_zendesk(desk: Stack, ami: AmiServerThread) -> None:
    desk.put_settings(play_recording=True)
    desk.admin.set_pop("2006", "off")
    desk.admin.set_pop("2005", "auto", "ended")
    kristin, lena = desk.zendesk_agents["2005"], desk.zendesk_agents["2009"]
    agent = desk.agent("2005")
    try:
        ami.play(QUEUE_CALL[0])
        ami.play(OUTBOUND_CALL[0])
        queue = desk.wait_call(QUEUE_CALL[1], "office")
        desk.wait_call(OUTBOUND_CALL[1], "office")
    finally:
        desk.admin.set_pop("2006", "auto", "ringing")
        desk.admin.set_pop("2005", "auto", "ringing")

    assert queue["call"]["queue"] == "support"
    assert queue["call"]["answered_by"] == "2005"
    [contact] = [u for u in desk.zendesk.users() if u.get("phone") == QUEUE_CALL[2]]
    assert contact["name"] == f"Automatic New Contact {QUEUE_CALL[2]}"
    [ticket] = desk.tickets_of(QUEUE_CALL[2])
    assert ticket["subject"] == (
        "Inbound Answered- from Customer Two<+15557654321> to Kristin Hale<2005>"
    )
    assert ticket["assignee_id"] == kristin["id"]
    assert ticket["requester_id"] == contact["id"]
    [voice] = voice_comments(ticket)  # only the answering agent: 2006 was rung but is skipped
    assert voice["data"]["answered_by_id"] == kristin["id"]
    recording = httpx.get(voice["data"]["recording_url"], headers={"Range": "bytes=4-7"})
    assert recording.status_code == 206
    assert recording.headers["content-type"] == "audio/wav"
    assert recording.content == WAV[4:8]

    [outbound] = desk.tickets_of(OUTBOUND_CALL[2])
    assert outbound["subject"] == "Outbound Answered- from Lena Park<2009> to <+15551234567>"
    assert outbound["assignee_id"] == lena["id"]
    [voice] = voice_comments(outbound)
    assert voice["data"]["answered_by_id"] == lena["id"]
    assert httpx.get(voice["data"]["recording_url"]).content == WAV[:2000]

    [pop] = agent.pops_after_one(f"office:{QUEUE_CALL[1]}")
    assert pop["trigger"] == "ended"
    assert pop["contact"]["id"] == str(contact["id"])
    assert desk.agent("2006").pops(f"office:{QUEUE_CALL[1]}") == []
    assert desk.zendesk.validation_errors() == []
