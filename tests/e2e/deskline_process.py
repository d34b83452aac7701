"""``deskline serve`` as a real process on a temp data directory (SQLite) and a free port."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.processes import ChildProcess, child_env, free_port, wait_until

DESKLINE = shutil.which("deskline", path=str(Path(sys.executable).parent)) or "deskline"
ADMIN_PASSWORD = "e2e-admin-password-0123"


class DesklineProcess:
    """One deskline installation (data directory, port, settings) that can be (re)started."""

    def __init__(self, workdir: Path, **settings: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = child_env(
            DESKLINE_DATA_DIR=str(workdir / "deskline-data"),
            DESKLINE_HOST="127.0.0.1",
            DESKLINE_PORT=str(self.port),
            DESKLINE_PUBLIC_URL=self.base_url,
            DESKLINE_ADMIN_PASSWORD=ADMIN_PASSWORD,
            DESKLINE_SECRET_KEY="e2e-secret-key-0123456789-abcdefghij",
            DESKLINE_LOG_FORMAT="text",
            **{f"DESKLINE_{k.upper()}": v for k, v in settings.items()},
        )
        self.process: ChildProcess | None = None
        self.worker: ChildProcess | None = None
        self.generation = 0

    def __repr__(self) -> str:
        return f"DesklineProcess({self.base_url!r}, generation={self.generation})"

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/oauth/callback"

    def start(self) -> None:
        self.generation += 1
        self.process = ChildProcess(
            [DESKLINE, "serve"], self.env, self.workdir, f"deskline-serve-{self.generation}"
        )
        wait_until(self._healthy, seconds=40, what="deskline /api/health")

    def _healthy(self) -> bool:
        assert self.process is not None
        if not self.process.running:
            raise AssertionError(self.process.output())
        try:
            return httpx.get(f"{self.base_url}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start_worker(self) -> None:
        """``deskline worker`` as a process of its own (with DESKLINE_IN_PROCESS_WORKER=false)."""
        self.worker = ChildProcess([DESKLINE, "worker"], self.env, self.workdir, "deskline-worker")
        self.worker.wait_for(r"outbox worker \S+ started")

    def kill(self) -> None:
        """SIGKILL: deskline gets no chance to finish anything."""
        if self.process is not None:
            self.process.kill()

    def stop(self) -> None:
        for process in (self.worker, self.process):
            if process is not None:
                process.stop()

    def output(self) -> str:
        return self.process.output(6000) if self.process is not None else ""

    def run(self, *args: str, timeout: float = 60) -> str:
        """Run another ``deskline`` command against this installation; its stdout."""
        done = subprocess.run(
            [DESKLINE, *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"deskline {' '.join(args)}: {done.stderr}{done.stdout}"
        return done.stdout
