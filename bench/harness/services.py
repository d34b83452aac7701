"""Servers a scenario owns: a fresh database on the machine's PostgreSQL, a private PostgreSQL
instance (initdb + pg_ctl in a temp dir, so restarting it disturbs nobody else) and a private
``redis-server``; each on 127.0.0.1 and a free port."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from tests.e2e.processes import ChildProcess, free_port

MACHINE_POSTGRES_URL = os.environ.get(
    "DESKLINE_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _execute(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=10)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


class FreshDatabase:
    """A new, empty database on an existing PostgreSQL server, dropped on :meth:`drop`."""

    def __init__(
        self, server_url: str = MACHINE_POSTGRES_URL, prefix: str = "deskline_bench"
    ) -> None:
        self.server_url = server_url
        self.name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        asyncio.run(_execute(server_url, f'CREATE DATABASE "{self.name}"'))
        self.url = (
            make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
        )

    def __repr__(self) -> str:
        return f"FreshDatabase({self.name!r})"

    def drop(self) -> None:
        asyncio.run(
            _execute(self.server_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        )


def _postgres_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if found:
        return found[-1]
    on_path = shutil.which(tool)
    if on_path is None:
        raise RuntimeError(f"PostgreSQL's {tool} is not installed")
    return on_path


def _as_postgres_user(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` OS user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class PrivatePostgres:
    """A PostgreSQL instance of our own (trust auth on 127.0.0.1), stopped and started at will."""

    def __init__(self, workdir: Path) -> None:
        self.root = workdir / "private-postgres"
        self.root.mkdir(parents=True)
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            _postgres_bin("initdb"),
            "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self.start()
        self.database = FreshDatabase(self.server_url)

    def __repr__(self) -> str:
        return f"PrivatePostgres(port={self.port})"

    @property
    def server_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return self.database.url

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            _as_postgres_user(list(args)), capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c max_connections=200"
        )
        self._run(
            _postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, like a server restart in production."""
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """``redis-server`` on a free port, without persistence; stop and start it again."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: ChildProcess | None = None
        self.start()

    def __repr__(self) -> str:
        return f"PrivateRedis(port={self.port})"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        args = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--protected-mode", "yes",
        ]  # fmt: skip
        self.process = ChildProcess(args, dict(os.environ), self.workdir, "redis-server")
        self.process.wait_for("Ready to accept connections", where="stdout", seconds=20)

    def stop(self) -> None:
        """SIGKILL: Redis is gone at once, as when its host fails."""
        if self.process is not None:
            self.process.kill()
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
