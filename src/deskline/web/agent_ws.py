"""``/ws/agent``: the agent's screen-pop channel (docs/screen-pop.md).

The agent's console connects with ``/ws/agent?token=<agent token>`` (issued by the admin API
for the agent's binding). A missing or forged token is refused before the connection is
accepted (HTTP 403). Once connected the agent receives ``{"type": "hello", "extension"}``,
the pops held for it while no console was connected, then a ``pop`` message per call; it may
send ``open``, ``create_contact`` and ``ping``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from deskline.pipeline.agent_requests import error
from deskline.pipeline.agent_tokens import verify_agent_token
from deskline.runtime.services import Runtime

log = logging.getLogger(__name__)

router = APIRouter()
POLICY_VIOLATION = 1008
MAX_MESSAGE = 4096


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    token = websocket.query_params.get("token", "")
    extension = verify_agent_token(runtime.settings.effective_secret_key, token)
    if extension is None:
        await websocket.close(code=POLICY_VIOLATION, reason="invalid agent token")
        return
    await websocket.accept()
    pipeline = runtime.pipeline

    async def send(message: dict[str, Any]) -> None:
        await websocket.send_json(message)

    connection = pipeline.hub.connect(extension, send)
    try:
        await websocket.send_json({"type": "hello", "extension": extension})
        await pipeline.hub.catch_up(connection)  # pops held while the console was away
        while True:
            text = await websocket.receive_text()
            pipeline.hub.touch(connection)
            reply = await _answer(runtime, extension, text)
            if reply is not None:
                await websocket.send_json(reply)
    except WebSocketDisconnect:
        pass
    finally:
        pipeline.hub.disconnect(connection)


async def _answer(runtime: Runtime, extension: str, text: str) -> dict[str, object] | None:
    if len(text) > MAX_MESSAGE:
        return error("message too long")
    try:
        message = json.loads(text)
    except ValueError:
        return error("messages must be JSON")
    try:
        return await runtime.pipeline.agent_request(extension, message)
    except Exception:  # a bad request must never close the agent's channel
        log.exception("agent %s: request failed", extension)
        return error("the request failed; try again")
