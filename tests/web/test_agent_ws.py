"""The agents' screen-pop WebSocket over a real uvicorn server and a ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from deskline.calls.model import LegStatus
from deskline.pipeline.agent_tokens import issue_agent_token
from deskline.store.db import Database
from tests.calls import builders as b
from tests.pipeline.live_app import LiveApp, live_app

RUTH = "+15135557611"


async def connect(app: LiveApp, extension: str) -> ClientConnection:
    token = issue_agent_token(app.settings.effective_secret_key, extension)
    socket = await websockets.connect(f"{app.ws_url}/ws/agent?token={token}")
    hello = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert hello == {"type": "hello", "extension": extension}
    return socket


async def receive(socket: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout))
    return message


async def nothing_more(socket: ClientConnection) -> None:
    """No message is waiting: a ping is answered first."""
    await socket.send(json.dumps({"type": "ping"}))
    assert await receive(socket) == {"type": "pong"}


async def test_a_ringing_call_pops_the_known_caller_from_the_local_index(
    sqlite_db: Database, tmp_path: Path
) -> None:
    async with live_app(sqlite_db, tmp_path) as app:
        await app.index_contact("501", "Ruth Baker", RUTH)
        socket = await connect(app, "2005")
        ingest = await app.runtime.ingestors.get("pbx")
        await ingest(  # one batch: dated in the past, the call would be stale at a tick
            [
                b.offered(0, caller="5135557611", callee="5550100", call_id="c1"),
                b.ringing(0.1, "2005", call_id="c1"),
            ]
        )

        pop = await receive(socket)
        assert pop["type"] == "pop"
        assert pop["call_id"] == "pbx:c1"
        assert pop["trigger"] == "ringing"
        assert pop["extension"] == "2005"
        assert pop["contact"]["id"] == "501"
        assert pop["contact"]["name"] == "Ruth Baker"
        assert pop["url"] == "https://acme.zendesk.com/agent/users/501"
        await socket.close()


async def test_one_pop_per_call_across_two_tabs(sqlite_db: Database, tmp_path: Path) -> None:
    async with live_app(sqlite_db, tmp_path) as app:
        await app.index_contact("501", "Ruth Baker", RUTH)
        first = await connect(app, "2005")
        second = await connect(app, "2005")
        await nothing_more(first)  # the first tab is now the most recently active one
        ingest = await app.runtime.ingestors.get("pbx")
        await ingest(  # one batch: dated in the past, the call would be stale at a tick
            [
                b.offered(0, caller=RUTH, callee="5550100", call_id="c1"),
                b.ringing(0.1, "2005", call_id="c1"),
            ]
        )
        await ingest([b.answered(2, "2005", call_id="c1")])
        await ingest([b.leg_ended(9, "2005", LegStatus.ANSWERED, call_id="c1")])

        pop = await receive(first)
        assert pop["call_id"] == "pbx:c1"
        await nothing_more(first)
        await nothing_more(second)
        await first.close()
        await second.close()


async def test_manual_open_answers_with_the_pop(sqlite_db: Database, tmp_path: Path) -> None:
    async with live_app(sqlite_db, tmp_path, {"2005": "manual"}) as app:
        await app.index_contact("501", "Ruth Baker", RUTH)
        socket = await connect(app, "2005")
        ingest = await app.runtime.ingestors.get("pbx")
        await ingest(  # one batch: dated in the past, the call would be stale at a tick
            [
                b.offered(0, caller=RUTH, callee="5550100", call_id="c1"),
                b.ringing(0.1, "2005", call_id="c1"),
            ]
        )
        await nothing_more(socket)  # manual: no automatic pop

        await socket.send(json.dumps({"type": "open", "call_id": "pbx:c1"}))
        pop = await receive(socket)
        assert (pop["type"], pop["trigger"], pop["contact"]["id"]) == ("pop", "manual", "501")

        await socket.send(json.dumps({"type": "open", "call_id": "pbx:someone-else"}))
        assert (await receive(socket))["type"] == "error"
        await socket.send("not json")
        assert (await receive(socket))["type"] == "error"
        await nothing_more(socket)  # still connected after bad requests
        await socket.close()


@pytest.mark.parametrize("token", ["", "forged.token", "x" * 600])
async def test_a_bad_token_is_refused(sqlite_db: Database, tmp_path: Path, token: str) -> None:
    async with live_app(sqlite_db, tmp_path) as app:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(f"{app.ws_url}/ws/agent?token={token}")
        assert refused.value.response.status_code == 403
        other_key = issue_agent_token(b"another deskline's key", "2005")
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(f"{app.ws_url}/ws/agent?token={other_key}")


async def test_a_console_that_connects_while_the_call_rings_gets_its_pop(
    sqlite_db: Database, tmp_path: Path
) -> None:
    async with live_app(sqlite_db, tmp_path) as app:
        await app.index_contact("501", "Ruth Baker", RUTH)
        ingest = await app.runtime.ingestors.get("pbx")
        await ingest(  # one batch: dated in the past, the call would be stale at a tick
            [
                b.offered(0, caller=RUTH, callee="5550100", call_id="c1"),
                b.ringing(0.1, "2005", call_id="c1"),
            ]
        )  # no console is connected

        socket = await connect(app, "2005")  # hello first, then the held pop
        pop = await receive(socket)
        assert pop["type"] == "pop" and pop["call_id"] == "pbx:c1"
        assert pop["contact"]["name"] == "Ruth Baker"
        await ingest([b.answered(2, "2005", call_id="c1")])
        await nothing_more(socket)
        second = await connect(app, "2005")
        await nothing_more(second)  # a second tab: the call was popped already
        await second.close()
        await socket.close()
