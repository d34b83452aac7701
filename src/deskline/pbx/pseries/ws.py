"""The P-Series event WebSocket: subscribe, keep it alive, reconnect.

``{ws|wss}://host/openapi/v1.0/subscribe?access_token=…``; after connecting deskline sends
``{"topic_list": [...]}`` and expects ``{"errcode": 0}``. The PBX closes a socket after 60 s
without traffic, so the text ``heartbeat`` is sent every ``heartbeat_seconds``. When the socket
closes or fails, deskline waits (capped exponential backoff with jitter), takes a valid token
(a fresh login if the PBX refused the last one) and subscribes again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from deskline.crypto import mask
from deskline.errors import (
    PbxAuthenticationError,
    PbxConnectionError,
    PbxError,
    PbxProtocolError,
)
from deskline.pbx.pseries.config import PSeriesConfig
from deskline.pbx.pseries.http import USER_AGENT, describe, errcode_of, is_token_error, redact
from deskline.pbx.pseries.tokens import TokenManager

log = logging.getLogger(__name__)
_socket_log = logging.getLogger(f"{__name__}.socket")
_socket_log.setLevel(logging.INFO)  # websockets logs the request line (with the token) at DEBUG

FrameHandler = Callable[[str], Awaitable[None]]
HEARTBEAT = "heartbeat"


class PSeriesSubscription:
    """Streams the PBX's event frames to ``on_frame`` until cancelled."""

    def __init__(
        self,
        config: PSeriesConfig,
        tokens: TokenManager,
        on_frame: FrameHandler,
        *,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._config = config
        self._tokens = tokens
        self._on_frame = on_frame
        self._jitter = jitter
        self._token_refused: str | None = None
        self.subscribed = asyncio.Event()
        """Set while a subscription is live (for health checks and tests)."""
        self.sessions = 0
        """How many times a subscription was established."""

    def __repr__(self) -> str:
        return f"PSeriesSubscription({self._config.subscribe_url!r})"

    async def run(self) -> None:
        """Subscribe and stream; reconnect on any failure, until cancelled."""
        failures = 0
        while True:
            try:
                await self._session()
                failures = 0
                log.info("P-Series WebSocket closed by the PBX; reconnecting")
            except Exception as exc:  # any failure: log it, wait, reconnect
                failures += 1
                expected = isinstance(exc, WebSocketException | OSError | TimeoutError | PbxError)
                level = (
                    logging.ERROR if isinstance(exc, PbxAuthenticationError) else logging.WARNING
                )
                log.log(
                    level if expected else logging.ERROR,
                    "P-Series WebSocket failed (%s: %s); reconnecting",
                    type(exc).__name__,
                    redact(str(exc)),
                )
            finally:
                self.subscribed.clear()
            await asyncio.sleep(self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        initial, cap = self._config.reconnect_initial_seconds, self._config.reconnect_max_seconds
        delay: float = min(cap, initial * 2.0 ** max(0, failures - 1))
        return delay * (0.5 + 0.5 * self._jitter())

    async def _token(self) -> str:
        if self._token_refused is not None:
            token = await self._tokens.renew(self._token_refused)
            self._token_refused = None
            return token
        return await self._tokens.get()

    def _ssl(self) -> ssl.SSLContext | None:
        if not self._config.subscribe_url.startswith("wss://"):
            return None
        context = ssl.create_default_context()
        if not self._config.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    async def _session(self) -> None:
        token = await self._token()
        url = f"{self._config.subscribe_url}?{urlencode({'access_token': token})}"
        log.debug("P-Series WebSocket connecting with token %s", mask(token))
        async with connect(
            url,
            ssl=self._ssl(),
            user_agent_header=USER_AGENT,
            open_timeout=self._config.request_timeout_seconds,
            ping_interval=self._config.heartbeat_seconds,
            ping_timeout=self._config.request_timeout_seconds,
            proxy=None,
            logger=_socket_log,
        ) as socket:
            await self._subscribe(socket, token)
            heartbeat = asyncio.create_task(self._heartbeat(socket))
            try:
                async for frame in socket:
                    await self._handle(frame)
            finally:
                heartbeat.cancel()

    async def _subscribe(self, socket: ClientConnection, token: str) -> None:
        with contextlib.suppress(ConnectionClosed):  # if closed, the reason is read below
            await socket.send(json.dumps({"topic_list": self._config.topics}))
        async with asyncio.timeout(self._config.request_timeout_seconds):
            while True:
                frame = await socket.recv()
                answer = _control_answer(frame)
                if answer is None:
                    await self._handle(frame)  # an event before the answer: keep it
                    continue
                if errcode_of(answer) == 0:
                    break
                if is_token_error(answer):
                    self._token_refused = token
                    raise PbxConnectionError(f"subscription refused: {describe(answer)}")
                raise PbxProtocolError(f"subscription refused: {describe(answer)}")
        self.sessions += 1
        self.subscribed.set()
        log.info("P-Series WebSocket subscribed to %s", self._config.topics)

    async def _heartbeat(self, socket: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self._config.heartbeat_seconds)
            await socket.send(HEARTBEAT)

    async def _handle(self, frame: str | bytes) -> None:
        if _control_answer(frame) is not None or not _looks_like_json(frame):
            log.debug("P-Series WebSocket frame without an event: %.80r", frame)
            return
        await self._on_frame(frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))


def _looks_like_json(frame: str | bytes) -> bool:
    text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
    return text.lstrip().startswith("{")


def _control_answer(frame: str | bytes) -> dict[str, object] | None:
    """An ``{"errcode": …}`` answer (not an event), or None."""
    if not _looks_like_json(frame):
        return None
    try:
        data = json.loads(frame)
    except ValueError:
        return None
    if isinstance(data, dict) and "errcode" in data and "type" not in data:
        return data
    return None
