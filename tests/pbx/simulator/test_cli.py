"""`deskline simulate call` against a real HTTP server running the webhook router."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from deskline.calls.model import CallStatus, LegStatus
from deskline.calls.tracker import CallTracker
from deskline.cli import app as cli
from deskline.pbx.simulator.config import SimulatorConfig
from deskline.web.pbx_webhooks import WebhookTarget, install_pbx_webhooks
from tests.fakes.pseries_server import serve_app
from tests.pbx.webhook.conftest import MemorySink

TOKEN = "simulator-token-0123456789"


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
async def deskline_url(sink: MemorySink) -> AsyncIterator[str]:
    target = WebhookTarget("simulator", SimulatorConfig(token=TOKEN), sink)

    async def resolve(name: str) -> WebhookTarget | None:
        return target if name == "simulator" else None

    app = FastAPI()
    install_pbx_webhooks(app, resolve)
    async with serve_app(app) as url:
        yield url


async def invoke(*args: str) -> tuple[int, str]:
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["simulate", "call", *args], catch_exceptions=False
    )
    return result.exit_code, result.output


async def test_simulated_queue_call_reaches_deskline(deskline_url: str, sink: MemorySink) -> None:
    code, output = await invoke(
        "--from",
        "+15551234567",
        "--to",
        "5550100",
        "--queue",
        "support",
        "--agents",
        "2006,2005",
        "--answer-after",
        "2",
        "--talk",
        "3",
        "--name",
        "Ann Lee",
        "--speed",
        "100",
        "--url",
        deskline_url,
        "--token",
        TOKEN,
    )
    assert code == 0, output
    assert "2005 answers" in output and "queue support rings 2006" in output
    tracker = CallTracker()
    for event in sink.events:
        tracker.apply(event)
    tracker.finalise_all()
    call = tracker.get(sink.events[0].call_id)
    assert call is not None
    assert call.status is CallStatus.ANSWERED and call.answered_by == "2005"
    assert call.caller.name == "Ann Lee"
    assert [leg.status for leg in call.legs] == [LegStatus.NO_ANSWER, LegStatus.ANSWERED]


async def test_token_from_the_environment_and_flags(
    deskline_url: str, sink: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKLINE_SIMULATOR_TOKEN", TOKEN)
    code, output = await invoke(
        "--outbound",
        "--from",
        "2005",
        "--to",
        "+15557654321",
        "--no-answer",
        "--speed",
        "100",
        "--url",
        deskline_url,
    )
    assert code == 0, output
    assert {e.kind for e in sink.events} >= {"call.offered", "call.hungup", "call.cdr"}


async def test_wrong_token_is_reported(deskline_url: str, sink: MemorySink) -> None:
    code, output = await invoke(
        "--from",
        "+15551234567",
        "--to",
        "2005",
        "--url",
        deskline_url,
        "--token",
        "wrong-token-0123456789",
    )
    assert code == 1
    assert "HTTP 401" in output
    assert sink.events == []


async def test_unreachable_deskline_is_reported() -> None:
    code, output = await invoke(
        "--from", "+15551234567", "--to", "2005", "--url", "http://127.0.0.1:9", "--token", TOKEN
    )
    assert code == 1 and "is it running?" in output


async def test_contradictory_options_are_a_usage_error() -> None:
    code, output = await invoke(
        "--from",
        "1",
        "--to",
        "2005",
        "--busy",
        "--no-answer",
        "--url",
        "http://x",
        "--token",
        TOKEN,
    )
    assert code == 2 and "exclude each other" in output
