"""Run the emulator for real: uvicorn on 127.0.0.1, a free port, a background thread.

    with running_emulator() as zendesk:
        zendesk.emulator.add_agent("Ada", "ada@acme.test", admin=True)
        httpx.get(f"{zendesk.base_url}/api/v2/users.json", auth=...)

deskline is pointed at ``zendesk.base_url`` instead of ``https://{subdomain}.zendesk.com``
(the Zendesk template's base-URL / domain field).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from tests.fakes.zendesk.clock import Clock
from tests.fakes.zendesk.config import EmulatorConfig
from tests.fakes.zendesk.emulator import ZendeskEmulator

STARTUP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunningEmulator:
    base_url: str
    emulator: ZendeskEmulator


@contextmanager
def running_emulator(
    emulator: ZendeskEmulator | None = None,
    *,
    config: EmulatorConfig | None = None,
    clock: Clock | None = None,
) -> Iterator[RunningEmulator]:
    """Serve an emulator (a new one unless given) until the block ends."""
    emulator = emulator or ZendeskEmulator(config, clock)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            emulator.app,
            log_level="critical",
            http="h11",
            lifespan="off",
            access_log=False,
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"zendesk-emulator-{port}", daemon=True
    )
    thread.start()
    started = threading.Event()
    while not started.wait(0.01):
        if server.started:
            started.set()
        elif not thread.is_alive():
            raise RuntimeError("the Zendesk emulator failed to start")
    try:
        yield RunningEmulator(f"http://127.0.0.1:{port}", emulator)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        sock.close()
