"""``deskline pbx replay``: the calls of a capture as JSON lines or a table."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from deskline.cli import pbx

root = typer.Typer()
root.add_typer(pbx.app, name="pbx")
runner = CliRunner()

SUMMARY_FIELDS = {
    "call_id", "direction", "caller", "callee", "trunk", "did", "queue", "status",
    "answered_by", "started_at", "answered_at", "ended_at", "talk_seconds", "legs",
    "transfers", "recording",
}  # fmt: skip


def test_json_gives_one_summary_per_line(ami_captures: Path) -> None:
    result = runner.invoke(root, ["pbx", "replay", str(ami_captures / "02_queue_answered.txt")])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    call = json.loads(line)
    assert set(call) >= SUMMARY_FIELDS
    assert call["caller"] == {"number": "+15557654321", "name": "Customer Two"}
    assert call["status"] == "answered" and call["answered_by"] == "2005"
    assert call["legs"] == [
        {"extension": "2006", "status": "no_answer", "ring_seconds": 4.0},
        {"extension": "2005", "status": "answered", "ring_seconds": 1.0},
    ]


def test_table_shows_the_calls(ami_captures: Path) -> None:
    result = runner.invoke(
        root,
        ["pbx", "replay", str(ami_captures / "05_queue_timeout.txt"), "--format", "table"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "1795286139.18" in result.stdout
    assert "no_answer" in result.stdout and "noanswer" in result.stdout


def test_a_login_failure_capture_is_explained(ami_captures: Path) -> None:
    result = runner.invoke(root, ["pbx", "replay", str(ami_captures / "11_login_failure.txt")])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "refused the login: Authentication failed" in result.stderr


def test_a_bad_file_is_a_clear_error_with_exit_code_1(tmp_path: Path) -> None:
    missing = runner.invoke(root, ["pbx", "replay", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1
    assert "cannot read" in missing.stderr and "nope.txt" in missing.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    refused = runner.invoke(root, ["pbx", "replay", str(junk)])
    assert refused.exit_code == 1
    assert "no AMI frames found" in refused.stderr


def test_bad_options_are_refused(ami_captures: Path) -> None:
    result = runner.invoke(
        root,
        ["pbx", "replay", str(ami_captures / "01_direct_answered.txt"), "--timezone", "Mars/Base"],
    )
    assert result.exit_code == 1
    assert "invalid option" in result.stderr


def test_the_country_option_normalises_national_numbers(tmp_path: Path) -> None:
    dump = tmp_path / "de.txt"
    dump.write_text(
        "Asterisk Call Manager/11.0.0\n\n"
        "Event: Newchannel\nTimestamp: 1700000000.000001\nChannel: PJSIP/telekom-00000001\n"
        "Uniqueid: 1700000000.1\nLinkedid: 1700000000.1\nContext: from-pstn\nExten: 0301234567\n"
        "CallerIDNum: 0891234567\nCallerIDName: Kunde\n\n"
        "Event: Hangup\nTimestamp: 1700000004.000001\nChannel: PJSIP/telekom-00000001\n"
        "Uniqueid: 1700000000.1\nLinkedid: 1700000000.1\nCause: 16\n\n"
    )
    result = runner.invoke(root, ["pbx", "replay", str(dump), "--country", "DE"])
    assert result.exit_code == 0, result.output
    call = json.loads(result.stdout)
    assert call["caller"] == {"number": "+49891234567", "name": "Kunde"}
    assert call["did"] == "+49301234567" and call["trunk"] == "telekom"
    assert call["status"] == "abandoned"
