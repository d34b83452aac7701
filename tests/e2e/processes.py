"""Real child processes for the end-to-end tests: output collected by threads, bounded waits,
and a clean stop (SIGTERM, then SIGKILL) whatever happens in the test."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], T | None], *, seconds: float = 20.0, every: float = 0.1, what: str = ""
) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(
        f"timed out after {seconds}s waiting for {what or check!r}; last: {last!r}"
    )


def child_env(**values: str) -> dict[str, str]:
    """This environment without any DESKLINE_* variable, plus ``values``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DESKLINE_")}
    return {**clean, "PYTHONUNBUFFERED": "1", **values}


class ChildProcess:
    """A command whose stdout and stderr are collected while it runs."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, name: str) -> None:
        self.name = name
        self.popen = subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, lines in ((self.popen.stdout, self.stdout), (self.popen.stderr, self.stderr)):
            threading.Thread(target=_collect, args=(stream, lines), daemon=True).start()

    def __repr__(self) -> str:
        return f"ChildProcess({self.name!r}, pid={self.popen.pid})"

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def output(self, tail: int = 3000) -> str:
        return f"--- {self.name} stderr ---\n{''.join(self.stderr)[-tail:]}"

    def wait_for(self, pattern: str, *, where: str = "stderr", seconds: float = 30) -> str:
        lines = self.stdout if where == "stdout" else self.stderr

        def seen() -> str | None:
            found = re.search(pattern, "".join(lines))
            if found is None and not self.running:
                raise AssertionError(f"{self.name} exited before {pattern!r}\n{self.output()}")
            return found.group(0) if found else None

        return wait_until(seen, seconds=seconds, what=f"{pattern!r} from {self.name}")

    def terminate(self, seconds: float = 20) -> int:
        if self.running:
            self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(seconds)

    def kill(self) -> None:
        """SIGKILL: no chance to clean up (a crash, a power cut)."""
        if self.running:
            self.popen.kill()
        self.popen.wait(10)

    def stop(self) -> None:
        """Terminate gently, kill if it does not go."""
        try:
            self.terminate(15)
        except subprocess.TimeoutExpired:
            self.kill()


def _collect(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


PYTHON = sys.executable
