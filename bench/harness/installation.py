"""One deskline installation for a scenario: the Zendesk emulator process, ``deskline serve``
and optionally separate ``deskline worker`` processes (SIGKILL-able and restartable), connected
to the emulator by OAuth like an admin does it, with four bound agents popping on ring.

    with Installation.start(workdir, Topology(database_url=url, workers=2)) as desk:
        desk.put_settings(play_recording=True)
        ...
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.harness.procstats import cpu_seconds, rss_mb
from tests.e2e.admin_client import AdminClient
from tests.e2e.deskline_process import DESKLINE, DesklineProcess
from tests.e2e.processes import ChildProcess
from tests.e2e.stack import AGENTS, BASE_SETTINGS, SIMULATOR, SIMULATOR_TOKEN, merged
from tests.e2e.zendesk_control import ZendeskProcess

EXTENSIONS = tuple(agent.extension for agent in AGENTS)


SUITE_SETTINGS: dict[str, str] = {}
"""``DESKLINE_*`` settings for every installation of this run (``suite.py --setting``)."""


@dataclass(frozen=True)
class Topology:
    """How deskline runs: SQLite + one process by default."""

    database_url: str | None = None
    """None: SQLite in the data directory."""
    redis_url: str | None = None
    workers: int = 0
    """Separate ``deskline worker`` processes; 0: the in-process worker of ``serve``."""
    emulator_rate_limit: int = 100_000
    """The emulated plan's requests per minute (high: it must not limit a throughput test)."""
    log_level: str = "INFO"
    extra: dict[str, str] = field(default_factory=dict)
    """More ``DESKLINE_*`` settings (lower-case names without the prefix)."""

    def settings(self) -> dict[str, str]:
        values = {"log_level": self.log_level, **SUITE_SETTINGS, **self.extra}
        if self.database_url:
            values["database_url"] = self.database_url
        if self.redis_url:
            values["redis_url"] = self.redis_url
        if self.workers:
            values["in_process_worker"] = "false"
            values.setdefault("budget_expected_processes", str(self.workers + 1))
        return values


class Installation:
    def __init__(self, workdir: Path, topology: Topology) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.topology = topology
        # httptools: the helpdesk's HTTP parsing shares this machine's cores with deskline;
        # the tests keep h11's strictness
        self.zendesk = ZendeskProcess(
            workdir, rate_limit=topology.emulator_rate_limit, http="httptools"
        )
        self.deskline = DesklineProcess(workdir, **topology.settings())
        self.admin: AdminClient | None = None
        self.workers: list[ChildProcess | None] = [None] * topology.workers
        self.worker_starts = 0
        self.worker_kills = 0

    @classmethod
    def start(cls, workdir: Path, topology: Topology | None = None) -> Installation:
        desk = cls(workdir, topology or Topology())
        try:
            if desk.topology.database_url:
                desk.deskline.run("db", "upgrade", timeout=120)
            desk.deskline.start()
            desk.admin = AdminClient(desk.deskline)
            desk._connect()
            for index in range(len(desk.workers)):
                desk.start_worker(index)
        except BaseException:
            desk.close()
            raise
        return desk

    def __repr__(self) -> str:
        return f"Installation({self.deskline.base_url!r}, workers={len(self.workers)})"

    def __enter__(self) -> Installation:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def api(self) -> AdminClient:
        assert self.admin is not None, "the installation is not started"
        return self.admin

    def _connect(self) -> None:
        secret = self.zendesk.register_client(self.deskline.redirect_uri)
        for agent in AGENTS:
            self.zendesk.add_user(
                agent.name, "admin" if agent.admin else "agent", email=agent.email
            )
        fields = {
            "client_id": "deskline",
            "client_secret": secret,
            "subdomain": "acme",
            "base_url": self.zendesk.base_url,
        }
        page = self.api.connect_zendesk(fields)
        if "Connected" not in page:
            raise RuntimeError(f"the helpdesk did not connect: {page[:300]}")
        self.api.refresh_users()
        for agent in AGENTS:
            self.api.add_extension(agent.extension, agent.name, agent.email)
        self.api.auto_bind()
        for agent in AGENTS:
            self.api.set_pop(agent.extension, "auto", "ringing")
        self.api.patch_pbx_connection(SIMULATOR, config={"token": SIMULATOR_TOKEN})

    def put_settings(self, **changes: Any) -> dict[str, Any]:
        """The e2e base settings (after-call tickets with journal, contact creation) + changes."""
        return self.api.put_settings(merged(BASE_SETTINGS, changes))

    @property
    def webhook_url(self) -> str:
        return f"{self.deskline.base_url}/webhooks/pbx/{SIMULATOR}"

    @property
    def webhook_token(self) -> str:
        return SIMULATOR_TOKEN

    @property
    def database_url(self) -> str:
        url = self.topology.database_url
        if url:
            return url
        return f"sqlite+aiosqlite:///{self.workdir / 'deskline-data' / 'deskline.db'}"

    def agent_socket_urls(self) -> dict[str, str]:
        return {ext: self.api.agent_websocket_url(ext) for ext in EXTENSIONS}

    # --- worker processes ----------------------------------------------------------------------

    def start_worker(self, index: int) -> None:
        self.worker_starts += 1
        self.workers[index] = ChildProcess(
            [DESKLINE, "worker"],
            self.deskline.env,
            self.workdir,
            f"deskline-worker-{index}-{self.worker_starts}",
        )

    def kill_worker(self, index: int) -> None:
        """SIGKILL: the worker gets no chance to finish its attempt or release its lease."""
        worker = self.workers[index]
        if worker is not None:
            worker.kill()
            self.worker_kills += 1
        self.workers[index] = None

    def kill_random_worker(self, rng: random.Random) -> int:
        index = rng.randrange(len(self.workers))
        self.kill_worker(index)
        return index

    def worker_exits(self) -> list[dict[str, Any]]:
        """Workers that ended by themselves (not killed by the suite): status and last lines."""
        exits = []
        for index, worker in enumerate(self.workers):
            if worker is not None and not worker.running:
                tail = "".join(worker.stderr)[-1500:]
                exits.append({"worker": index, "status": worker.popen.returncode, "log": tail})
        return exits

    def logs(self) -> str:
        """Everything ``serve`` and the running workers have logged so far."""
        processes = [self.deskline.process, *self.workers]
        return "".join(line for p in processes if p is not None for line in list(p.stderr))

    # --- process figures -----------------------------------------------------------------------

    @property
    def serve_pid(self) -> int:
        assert self.deskline.process is not None
        return self.deskline.process.popen.pid

    def serve_rss_mb(self) -> float:
        return rss_mb(self.serve_pid)

    def serve_cpu_seconds(self) -> float:
        return cpu_seconds(self.serve_pid)

    def emulator_cpu_seconds(self) -> float:
        return cpu_seconds(self.zendesk.process.popen.pid)

    def workers_cpu_seconds(self) -> float:
        return sum(cpu_seconds(w.popen.pid) for w in self.workers if w is not None and w.running)

    def close(self) -> None:
        for index in range(len(self.workers)):
            worker = self.workers[index]
            if worker is not None:
                worker.stop()
        if self.admin is not None:
            self.admin.close()
        self.deskline.stop()
        self.zendesk.close()
