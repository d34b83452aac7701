"""An agent's console: the screen-pop WebSocket, read by a thread that timestamps each message."""

from __future__ import annotations

import json
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.e2e.processes import wait_until


@dataclass(frozen=True)
class Received:
    message: dict[str, Any]
    at: float
    """``time.perf_counter()`` when the message was read."""


class AgentSocket:
    """``/ws/agent?token=…`` of one extension; every message it gets, in order."""

    def __init__(self, url: str) -> None:
        self._exit = ExitStack()
        self.connection: ClientConnection = self._exit.enter_context(
            connect(url, open_timeout=10, close_timeout=2)
        )
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True, name="agent-socket")
        self._reader.start()
        hello = self.wait_for(lambda m: m["type"] == "hello")
        self.extension = str(hello["extension"])

    def __repr__(self) -> str:
        return f"AgentSocket({getattr(self, 'extension', '?')!r})"

    def _read(self) -> None:
        try:
            while True:
                raw = self.connection.recv()
                at = time.perf_counter()
                with self._lock:
                    self.received.append(Received(json.loads(raw), at))
        except ConnectionClosed:
            pass

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.message for r in self.received]

    def pops(self, call_id: str | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.messages()
            if m["type"] == "pop" and (call_id is None or m["call_id"] == call_id)
        ]

    def pops_after_one(self, call_id: str, seconds: float = 10) -> list[dict[str, Any]]:
        """The call's pops, once at least one has been read (a pop sent just before may still
        be on its way to this client)."""
        self.wait_for(lambda m: m["type"] == "pop" and m["call_id"] == call_id, seconds)
        return self.pops(call_id)

    def wait_for(self, matches: Any, seconds: float = 15) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((m for m in self.messages() if matches(m)), None)

        return wait_until(found, seconds=seconds, every=0.02, what=f"a message on {self!r}")

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def close(self) -> None:
        self._exit.close()
        self._reader.join(5)
