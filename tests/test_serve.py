"""``deskline serve`` and ``deskline worker`` as real processes.

A fresh data directory: serve migrates SQLite by itself, prints the generated admin password
once, answers ``/api/health``; ``deskline simulate call`` (another process) plays a call into
it over HTTP and the call shows in ``GET /api/calls``; SIGTERM stops it cleanly (status 0).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

DESKLINE = shutil.which("deskline", path=str(Path(sys.executable).parent)) or "deskline"
PASSWORD_LINE = re.compile(r"password: (\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A deskline command whose output is collected by threads while it runs."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.popen = subprocess.Popen(
            [DESKLINE, *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, lines in ((self.popen.stdout, self.stdout), (self.popen.stderr, self.stderr)):
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _collect(stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line)

    def wait_for(self, pattern: str, where: str = "stderr", seconds: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = "".join(self.stdout if where == "stdout" else self.stderr)
            found = re.search(pattern, text)
            if found:
                return found
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not seen; stderr: {''.join(self.stderr)[-2000:]}")

    def terminate(self, seconds: float = 20) -> int:
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(seconds)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(5)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DESKLINE_")}
    return {
        **clean,
        "DESKLINE_DATA_DIR": str(tmp_path / "data"),
        "DESKLINE_HOST": "127.0.0.1",
        "DESKLINE_PORT": str(free_port()),
    }


@pytest.fixture
def serve(env: dict[str, str], tmp_path: Path) -> Iterator[Process]:
    process = Process(["serve"], env, tmp_path)
    try:
        yield process
    finally:
        process.kill()


def base_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['DESKLINE_PORT']}"


def wait_healthy(env: dict[str, str], process: Process, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.popen.poll() is None, "".join(process.stderr)[-2000:]
        try:
            if httpx.get(f"{base_url(env)}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("deskline never became healthy")


def login(env: dict[str, str], password: str) -> httpx.Client:
    answer = httpx.post(
        f"{base_url(env)}/api/auth/login", json={"username": "admin", "password": password}
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    return httpx.Client(base_url=base_url(env), headers={"Authorization": f"Bearer {token}"})


def test_serve_simulate_call_and_stop(serve: Process, env: dict[str, str], tmp_path: Path) -> None:
    wait_healthy(env, serve)
    password = serve.wait_for(PASSWORD_LINE.pattern, "stdout").group(1)
    assert "shown only this once" in "".join(serve.stdout)
    assert password not in "".join(serve.stderr)  # never logged

    with login(env, password) as admin:
        simulated = subprocess.run(
            [DESKLINE, "simulate", "call", "--from", "+15551234567", "--to", "2005",
             "--answer-after", "2", "--talk", "5", "--speed", "10"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert simulated.returncode == 0, simulated.stderr + simulated.stdout
        deadline = time.monotonic() + 30
        calls: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            calls = admin.get("/api/calls").json()["calls"]
            if calls and calls[0]["call"]["status"]:  # type: ignore[index]
                break
            time.sleep(0.2)
        [call] = calls
        summary = call["call"]
        assert summary["status"] == "answered"  # type: ignore[index]
        assert summary["answered_by"] == "2005"  # type: ignore[index]
        assert summary["caller"]["number"] == "+15551234567"  # type: ignore[index]

    assert serve.terminate() == 0
    assert "Application shutdown complete" in "".join(serve.stderr)


def test_a_second_start_prints_no_password_and_keeps_the_first(
    env: dict[str, str], tmp_path: Path
) -> None:
    first = Process(["serve"], env, tmp_path)
    try:
        wait_healthy(env, first)
        password = first.wait_for(PASSWORD_LINE.pattern, "stdout").group(1)
        assert first.terminate() == 0
    finally:
        first.kill()
    second = Process(["serve"], env, tmp_path)
    try:
        wait_healthy(env, second)
        assert "password:" not in "".join(second.stdout)
        login(env, password).close()
        assert second.terminate() == 0
    finally:
        second.kill()


def test_the_admin_password_can_come_from_the_environment(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "DESKLINE_ADMIN_PASSWORD": "a-long-chosen-password"}
    process = Process(["serve"], env, tmp_path)
    try:
        wait_healthy(env, process)
        assert "password:" not in "".join(process.stdout)
        login(env, "a-long-chosen-password").close()
        assert process.terminate() == 0
    finally:
        process.kill()


def test_worker_starts_and_stops_gracefully(env: dict[str, str], tmp_path: Path) -> None:
    refused = subprocess.run(
        [DESKLINE, "worker"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1 and "deskline db upgrade" in refused.stderr
    upgraded = subprocess.run(
        [DESKLINE, "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    assert upgraded.returncode == 0
    worker = Process(["worker"], env, tmp_path)
    try:
        worker.wait_for(r"outbox worker \S+ started")
        assert worker.terminate() == 0
        assert re.search(r"outbox worker \S+ stopped", "".join(worker.stderr))
    finally:
        worker.kill()
