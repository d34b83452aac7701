"""The Zendesk emulator as its own process for the end-to-end tests.

    python -m tests.e2e.zendesk_process --port 8765

Unlike ``python -m tests.fakes.zendesk`` (a demo), it starts empty — the tests seed it over
``/_emulator`` — and its clock is the wall clock plus an offset that
``POST /_emulator/clock/advance`` moves forward: tokens can expire in Zendesk's eyes while rate
limits and faults keep running in real time.
"""

from __future__ import annotations

import argparse
import threading
import time

import uvicorn

from tests.fakes.zendesk.clock import ManualClock
from tests.fakes.zendesk.config import EmulatorConfig
from tests.fakes.zendesk.emulator import ZendeskEmulator


class ShiftedClock(ManualClock):
    """Real time that can be moved forward (never back)."""

    def __init__(self) -> None:
        super().__init__(0.0)
        self._offset = 0.0
        self._shift_lock = threading.Lock()

    def now(self) -> float:
        with self._shift_lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._shift_lock:
            self._offset += seconds
            return time.time() + self._offset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.zendesk_process")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate-limit", type=int, default=2500, help="requests per minute")
    parser.add_argument(
        "--http",
        choices=("h11", "httptools"),
        default="h11",
        help="uvicorn's HTTP parser: h11 (strict, for the tests) or httptools (for bench/)",
    )
    args = parser.parse_args(argv)
    config = EmulatorConfig(consent_mode="auto-allow", rate_limit_per_minute=args.rate_limit)
    emulator = ZendeskEmulator(config, ShiftedClock())
    uvicorn.run(
        emulator.app,
        host="127.0.0.1",
        port=args.port,
        http=args.http,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
