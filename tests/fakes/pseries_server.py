"""A fake P-Series Open API: tokens, call/dial, recording/download and the event WebSocket.

It behaves like the PBX as far as deskline relies on it: every request needs a User-Agent;
``get_token`` checks the client id/secret; tokens expire (a short, configurable TTL driven by an
injectable clock); at most 8 valid access tokens; ``refresh_token`` rotates the pair. The
``subscribe`` WebSocket answers the topic list, closes after ``idle_timeout`` seconds without
traffic from the client, pushes scripted events with the double-encoded ``msg``, and can drop
every connection. Run it with :func:`running_pseries` (uvicorn on 127.0.0.1, a free port).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

MAX_TOKENS = 8
TOKEN_ERROR = {"errcode": 10004, "errmsg": "ACCESS TOKEN EXPIRED OR INVALID"}


class FakeClock:
    """Monotonic time that tests can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def frame(event_type: int, msg: dict[str, Any], sn: str = "3633D2199067") -> str:
    """An event as the PBX sends it: ``msg`` JSON-encoded inside the JSON envelope."""
    return json.dumps({"type": event_type, "sn": sn, "msg": json.dumps(msg)})


@dataclass
class FakePSeries:
    client_id: str = "client-id"
    client_secret: str = "client-secret"
    access_ttl: float = 1800.0
    refresh_ttl: float = 86400.0
    idle_timeout: float = 60.0
    clock: FakeClock = field(default_factory=FakeClock)
    access_tokens: dict[str, float] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[float, str]] = field(default_factory=dict)
    logins: int = 0
    refreshes: int = 0
    revoked: int = 0
    user_agents: list[str] = field(default_factory=list)
    dials: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[tuple[str, list[int]]] = field(default_factory=list)
    heartbeats: int = 0
    idle_closes: int = 0
    fail_refresh: bool = False
    connections: list[WebSocket] = field(default_factory=list)
    queues: list[asyncio.Queue[str | None]] = field(default_factory=list)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    _call_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ---- helpers for tests -------------------------------------------------------------
    def valid_tokens(self) -> list[str]:
        now = self.clock()
        return [token for token, expires in self.access_tokens.items() if expires > now]

    async def push(self, *frames: str) -> None:
        """Send frames to every subscribed connection."""
        for queue in list(self.queues):
            for text in frames:
                await queue.put(text)

    async def drop(self) -> None:
        """Close every connection abruptly (as a PBX restart would)."""
        for queue in list(self.queues):
            await queue.put(None)

    # ---- HTTP ---------------------------------------------------------------------------
    def _issue(self) -> dict[str, Any]:
        if len(self.valid_tokens()) >= MAX_TOKENS:
            return {"errcode": 10008, "errmsg": "MAXIMUM ACCESS TOKENS REACHED"}
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        now = self.clock()
        self.access_tokens[access] = now + self.access_ttl
        self.refresh_tokens[refresh] = (now + self.refresh_ttl, access)
        return {
            "errcode": 0,
            "errmsg": "SUCCESS",
            "access_token": access,
            "access_token_expire_time": int(self.access_ttl),
            "refresh_token": refresh,
            "refresh_token_expire_time": int(self.refresh_ttl),
        }

    def token_ok(self, token: str | None) -> bool:
        return token is not None and self.access_tokens.get(token, 0.0) > self.clock()

    async def _endpoint(self, request: Request) -> JSONResponse:
        agent = request.headers.get("user-agent", "")
        self.user_agents.append(agent)
        if not agent:
            return JSONResponse({"errcode": 10001, "errmsg": "USER AGENT REQUIRED"})
        name = request.path_params["endpoint"]
        body: dict[str, Any] = await request.json() if request.method == "POST" else {}
        if name == "get_token":
            self.logins += 1
            if (body.get("username"), body.get("password")) != (self.client_id, self.client_secret):
                return JSONResponse({"errcode": 10002, "errmsg": "INVALID USERNAME OR PASSWORD"})
            return JSONResponse(self._issue())
        if name == "refresh_token":
            return JSONResponse(self._refresh(str(body.get("refresh_token", ""))))
        token = request.query_params.get("access_token")
        if not self.token_ok(token):
            return JSONResponse(TOKEN_ERROR)
        if name == "del_token":
            self.access_tokens.pop(str(token), None)
            self.revoked += 1
            return JSONResponse({"errcode": 0, "errmsg": "SUCCESS"})
        if name == "call/dial":
            self.dials.append(body)
            if not body.get("caller") or not body.get("callee"):
                return JSONResponse({"errcode": 40002, "errmsg": "PARAMETER ERROR"})
            call_id = f"1702285600.{next(self._call_ids)}"
            return JSONResponse({"errcode": 0, "errmsg": "SUCCESS", "call_id": call_id})
        if name == "recording/download":
            file = request.query_params.get("file") or f"rec-{request.query_params.get('id')}.wav"
            return JSONResponse(
                {
                    "errcode": 0,
                    "errmsg": "SUCCESS",
                    "file": file,
                    "download_resource_url": f"/api/download/{file}",
                }
            )
        return JSONResponse({"errcode": 10404, "errmsg": "NO SUCH INTERFACE"})

    def _refresh(self, refresh: str) -> dict[str, Any]:
        self.refreshes += 1
        expires, old_access = self.refresh_tokens.pop(refresh, (0.0, ""))
        if self.fail_refresh or expires <= self.clock():
            return {"errcode": 10005, "errmsg": "REFRESH TOKEN INVALID"}
        self.access_tokens.pop(old_access, None)
        return self._issue()

    # ---- WebSocket ----------------------------------------------------------------------
    async def _subscribe(self, websocket: WebSocket) -> None:
        token = websocket.query_params.get("access_token")
        await websocket.accept()
        if not self.token_ok(token):
            await websocket.send_text(json.dumps(TOKEN_ERROR))
            await websocket.close()
            return
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        try:
            request = json.loads(await websocket.receive_text())
            self.subscriptions.append((str(token), list(request["topic_list"])))
            await websocket.send_text(json.dumps({"errcode": 0, "errmsg": "SUCCESS"}))
            self.connections.append(websocket)
            self.queues.append(queue)
            self.subscribed.set()
            await self._pump(websocket, queue)
        except WebSocketDisconnect:
            pass
        finally:
            if queue in self.queues:
                self.queues.remove(queue)
            if websocket in self.connections:
                self.connections.remove(websocket)
            if not self.queues:
                self.subscribed.clear()

    async def _pump(self, websocket: WebSocket, queue: asyncio.Queue[str | None]) -> None:
        receive = asyncio.ensure_future(websocket.receive_text())
        outgoing = asyncio.ensure_future(queue.get())
        try:
            while True:
                done, _ = await asyncio.wait(
                    {receive, outgoing},
                    timeout=self.idle_timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if not done:  # silence: the PBX hangs up
                    self.idle_closes += 1
                    await websocket.close(code=1000)
                    return
                if receive in done:
                    if receive.result() == "heartbeat":
                        self.heartbeats += 1
                    receive = asyncio.ensure_future(websocket.receive_text())
                if outgoing in done:
                    text = outgoing.result()
                    if text is None:
                        await websocket.close(code=1011)
                        return
                    await websocket.send_text(text)
                    outgoing = asyncio.ensure_future(queue.get())
        finally:
            receive.cancel()
            outgoing.cancel()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/openapi/v1.0/{endpoint:path}", self._endpoint, methods=["GET", "POST"]),
                WebSocketRoute("/openapi/v1.0/subscribe", self._subscribe),
            ]
        )


@contextlib.asynccontextmanager
async def serve_app(app: Any, **options: Any) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn on 127.0.0.1 (free port) in this loop; yields its URL.
    ``options``: uvicorn settings over the defaults here."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    defaults: dict[str, Any] = {
        "log_level": "warning",
        "lifespan": "off",
        "ws": "websockets-sansio",
    }
    config = uvicorn.Config(app, **(defaults | options))
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def running_pseries(fake: FakePSeries) -> AsyncIterator[str]:
    """The fake PBX served on 127.0.0.1; yields its base URL."""
    async with serve_app(fake.app()) as url:
        yield url
