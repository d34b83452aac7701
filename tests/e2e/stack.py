"""The whole installation for end-to-end tests: the Zendesk emulator process, ``deskline serve``
connected to it by OAuth like an admin does it, bound agents, and PBX sources (the built-in
simulator connection over HTTP, ``deskline simulate`` as a process, an Asterisk connection to the
fake AMI server).

    stack = Stack.start(tmp_path)
    stack.put_settings(tickets={"enabled": True, "timing": "after_call"})
    call_id = stack.play(CallScenario(caller="+15135557611", callee="2005"))
    detail = stack.wait_call(call_id)
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from deskline.pbx.simulator.scenario import CallScenario, Step, build_steps
from tests.e2e.admin_client import AdminClient
from tests.e2e.agent_socket import AgentSocket
from tests.e2e.deskline_process import DesklineProcess
from tests.e2e.processes import wait_until
from tests.e2e.zendesk_control import ZendeskProcess

SIMULATOR = "simulator"
SIMULATOR_TOKEN = "e2e-simulator-token-0123456789"
FINISHED_JOB_STATES = {"succeeded", "failed"}


@dataclass(frozen=True)
class Agent:
    extension: str
    name: str
    email: str
    admin: bool = False


AGENTS = (
    Agent("2005", "Kristin Hale", "kristin@acme.test", admin=True),
    Agent("2006", "Omar Diaz", "omar@acme.test"),
    Agent("2007", "Mei Lin", "mei@acme.test"),
    Agent("2009", "Lena Park", "lena@acme.test"),
)

BASE_SETTINGS: dict[str, Any] = {
    "contact_sync_group_id": None,
    "always_query_helpdesk": False,
    "contact_creation": {"mode": "auto", "inbound": True, "outbound": True},
    "tickets": {
        "enabled": True,
        "timing": "after_call",
        "before_call": {"inbound": True, "outbound": True},
        "after_call": {
            "inbound_answered": True,
            "inbound_missed": True,
            "outbound_answered": True,
            "outbound_unanswered": True,
        },
        "subject": "{{.Communication_Type}} {{.Call_Status}}- from {{.Call_From}} to {{.Call_To}}",
        "description": "{{.Communication_Type}} {{.Call_Status}} - from {{.Call_From}} "
        "to {{.Call_To}}",
    },
    "call_journal": True,
    "play_recording": False,
    "skip_missed_for_unanswered_agents": True,
    "talk_partner_edition": False,
    "api_budget_rpm": None,
}


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` applied, nested dictionaries merged key by key."""
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


@dataclass
class Stack:
    workdir: Path
    zendesk: ZendeskProcess
    deskline: DesklineProcess
    admin: AdminClient
    client_secret: str = ""
    zendesk_agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    sockets: dict[str, AgentSocket] = field(default_factory=dict)

    @classmethod
    def start(
        cls, workdir: Path, *, rate_limit: int = 2500, settings: dict[str, str] | None = None
    ) -> Stack:
        """Both processes up, Zendesk connected, the agents bound with automatic pops on ring.
        ``settings``: deskline settings (``{"in_process_worker": "false"}`` → its env)."""
        zendesk = ZendeskProcess(workdir, rate_limit=rate_limit)
        deskline = DesklineProcess(workdir, **(settings or {}))
        try:
            deskline.start()
            stack = cls(workdir, zendesk, deskline, AdminClient(deskline))
            stack._connect()
        except BaseException:
            deskline.stop()
            zendesk.close()
            raise
        return stack

    def __repr__(self) -> str:
        return f"Stack({self.zendesk!r}, {self.deskline!r})"

    def _connect(self) -> None:
        self.client_secret = self.zendesk.register_client(self.deskline.redirect_uri)
        for agent in AGENTS:
            role = "admin" if agent.admin else "agent"
            user = self.zendesk.add_user(agent.name, role, email=agent.email)
            self.zendesk_agents[agent.extension] = user
        page = self.admin.connect_zendesk(self.fields())
        assert "Connected" in page, page
        assert self.admin.helpdesk()["status"] == "connected"
        report = self.admin.refresh_users()
        assert report["fetched"] == len(AGENTS), report
        for agent in AGENTS:
            self.admin.add_extension(agent.extension, agent.name, agent.email)
        bound = self.admin.auto_bind()
        assert len(bound["bound"]) == len(AGENTS), bound
        for agent in AGENTS:
            self.admin.set_pop(agent.extension, "auto", "ringing")
        self.admin.patch_pbx_connection(SIMULATOR, config={"token": SIMULATOR_TOKEN})

    def fields(self) -> dict[str, str]:
        """The Zendesk connection form, filled in."""
        return {
            "client_id": "deskline",
            "client_secret": self.client_secret,
            "subdomain": "acme",
            "base_url": self.zendesk.base_url,
        }

    def close(self) -> None:
        for socket in self.sockets.values():
            socket.close()
        self.admin.close()
        self.deskline.stop()
        self.zendesk.close()

    # --- settings and agents -----------------------------------------------------------------

    def put_settings(self, **changes: Any) -> dict[str, Any]:
        return self.admin.put_settings(merged(BASE_SETTINGS, changes))

    def agent(self, extension: str) -> AgentSocket:
        """The agent's console of ``extension`` (connected once, kept open)."""
        if extension not in self.sockets:
            self.sockets[extension] = AgentSocket(self.admin.agent_websocket_url(extension))
        return self.sockets[extension]

    # --- calls ---------------------------------------------------------------------------------

    def play(self, *scenarios: CallScenario, speed: float = 1.0) -> list[str]:
        """Post the scenarios' events to the simulator connection's webhook, in real time,
        the calls side by side; their call ids."""

        async def all_calls() -> None:
            now = datetime.now(UTC)
            await asyncio.gather(
                *(
                    post_steps(
                        self.deskline.base_url, SIMULATOR_TOKEN, build_steps(s, now, speed=speed)
                    )
                    for s in scenarios
                )
            )

        asyncio.run(all_calls())
        return [s.call_id for s in scenarios]

    def post(self, steps: list[Step]) -> None:
        """Post events at once, in order (a PBX delivering what it queued)."""
        asyncio.run(post_steps(self.deskline.base_url, SIMULATOR_TOKEN, steps, paced=False))

    def restart_deskline(self) -> None:
        """SIGKILL deskline (no clean-up at all), then start it again on the same data."""
        for socket in self.sockets.values():
            socket.close()
        self.sockets.clear()
        self.deskline.kill()
        self.deskline.start()
        self.admin.login()
        wait_until(
            lambda: self.admin.pbx_connections()[SIMULATOR]["status"] == "connected",
            what="the simulator connection after the restart",
        )

    def simulate(self, *args: str) -> str:
        """``deskline simulate call …`` as its own process (it reads the local token)."""
        output = self.deskline.run("simulate", "call", *args)
        return _simulated_call_id(output)

    def find_call(self, call_id: str, source: str = SIMULATOR) -> dict[str, Any] | None:
        for found in self.admin.calls(source=source, limit=500):
            if found["call"]["call_id"] == call_id:
                return found
        return None

    def wait_call(
        self, call_id: str, source: str = SIMULATOR, *, seconds: float = 30
    ) -> dict[str, Any]:
        """The call once it is decided and every one of its jobs has finished."""

        def done() -> dict[str, Any] | None:
            found = self.find_call(call_id, source)
            if found is None or found["call"]["status"] is None:
                return None
            detail: dict[str, Any] = self.admin.call("GET", f"/api/calls/{found['id']}")
            if all(job["state"] in FINISHED_JOB_STATES for job in detail["jobs"]):
                return detail
            return None

        return wait_until(done, seconds=seconds, every=0.2, what=f"call {call_id} and its jobs")

    def wait_quiet(self, *, seconds: float = 120) -> None:
        """Every call decided and every job finished."""

        def quiet() -> bool:
            return not (
                self.admin.calls(status="in_progress", limit=1)
                or self.admin.jobs(state="pending", limit=1)
                or self.admin.jobs(state="running", limit=1)
            )

        wait_until(quiet, seconds=seconds, every=0.3, what="no call or job in progress")

    def tickets_of(self, number: str) -> list[dict[str, Any]]:
        """Zendesk's tickets whose subject names ``number``."""
        return [t for t in self.zendesk.tickets() if number in t["subject"]]


async def post_steps(base_url: str, token: str, steps: list[Step], *, paced: bool = True) -> None:
    """POST each step to the simulator's webhook, at its offset (``paced``) or at once."""
    url = f"{base_url}/webhooks/pbx/{SIMULATOR}"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
        start = time.monotonic()
        for step in steps:
            delay = start + step.offset - time.monotonic()
            if paced and delay > 0:
                await asyncio.sleep(delay)
            answer = await client.post(url, json=step.event, timeout=10)
            assert answer.status_code == 200, answer.text


def _simulated_call_id(output: str) -> str:
    for word in output.split():
        if word.startswith("sim-"):
            return word
    raise AssertionError(f"no call id in the simulator's output: {output}")
