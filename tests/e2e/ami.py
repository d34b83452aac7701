"""The fake Asterisk Manager Interface (``tests/fakes/ami_server.py``) served on 127.0.0.1 from
its own thread and event loop, so a deskline process can connect to it over TCP."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from tests.fakes.ami_server import FakeAmiServer

T = TypeVar("T")


class AmiServerThread:
    """``with AmiServerThread() as ami: ami.play("02_queue_answered.txt")``."""

    def __init__(self, server: FakeAmiServer | None = None) -> None:
        self.server = server or FakeAmiServer()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="ami")

    def __repr__(self) -> str:
        return f"AmiServerThread(port={self.server.port})"

    def __enter__(self) -> AmiServerThread:
        self._thread.start()
        self._run(self.server.__aenter__())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._run(self.server.__aexit__(None, None, None))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def logins(self) -> int:
        return self.server.logins

    def play(self, capture: str) -> None:
        """Send a capture's events to every logged-in client."""
        self._run(self.server.play(capture))
