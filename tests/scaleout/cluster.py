"""A deskline cluster for the scale-out tests: real ``deskline serve`` and ``deskline worker``
processes on a fresh PostgreSQL database and the test Redis, a connected Zendesk emulator.

The database is prepared before the processes start, as an operator's first ``serve`` and the
admin's connect flow would leave it: migrated, an admin, the simulator connection, the Zendesk
connection (fields, encrypted secrets and tokens) with one agent bound to extension 2005.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from deskline.connector.tokens import OAuthTokens
from deskline.crypto import SecretBox
from deskline.integration.records import ConnectionSecrets, write_secrets
from deskline.pbx.simulator.scenario import CallScenario, build_steps
from deskline.runtime.bootstrap import ensure_simulator
from deskline.store.db import Database
from deskline.store.models import ExtensionBinding, HelpdeskConnection, HelpdeskUser
from deskline.store.repositories.pbx_connections import PbxConnectionRepository
from deskline.store.types import utcnow
from tests.conftest import services_required
from tests.db_fixtures import postgres_server_url
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import obtain_tokens
from tests.test_serve import Process, free_port

SECRET_KEY = "scale-out-test-secret-0123456789"
ADMIN_PASSWORD = "correct horse battery staple"
EXTENSION = "2005"
SETTINGS: dict[str, Any] = {
    "tickets": {"enabled": True, "timing": "after_call"},
    "call_journal": True,
    "contact_creation": {"mode": "auto", "inbound": True, "outbound": True},
}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A new, migrated PostgreSQL database (dropped at the end); skips when unreachable."""
    server = postgres_server_url()
    name = f"deskline_scale_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(_dsn(server), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if services_required():
            pytest.fail(f"PostgreSQL is not usable: {exc}")
        pytest.skip(f"PostgreSQL is not usable: {exc}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        await migrate(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def migrate(url: str) -> None:
    """Bring the database at ``url`` to the latest schema."""
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


async def prepare_database(url: str, zendesk: RunningEmulator) -> None:
    """Admin, simulator connection, connected Zendesk with agent 2005 bound."""
    from argon2 import PasswordHasher

    from deskline.runtime.accounts import Passwords, ensure_admin

    emulator = zendesk.emulator
    emulator.add_agent("Desk Admin", "admin@acme.test", admin=True)
    emulator.register_oauth_client("deskline", ["http://127.0.0.1:8000/oauth/callback"])
    with httpx.Client(base_url=zendesk.base_url, timeout=5) as http:
        body = obtain_tokens(http, emulator)
    now = datetime.now(UTC).timestamp()
    tokens = OAuthTokens(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token"),
        token_type="bearer",
        obtained_at=now,
        expires_at=now + float(body.get("expires_in") or 3600),
        scope=body.get("scope"),
    )
    box = SecretBox(SECRET_KEY.encode())
    db = Database(url)
    try:
        passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        async with db.transaction() as session:
            await ensure_admin(session, passwords, "admin", ADMIN_PASSWORD)
        await ensure_simulator(db, box)
        agent = emulator.add_agent("Kristin Hale", "kristin@acme.test")
        async with db.transaction() as session:
            row = HelpdeskConnection(
                template_key="zendesk",
                name="Zendesk",
                status="connected",
                enabled=True,
                fields={"client_id": "deskline", "subdomain": "acme", "base_url": zendesk.base_url},
                settings=SETTINGS,
                connected_at=utcnow(),
            )
            secret = emulator.oauth.clients["deskline"].secret
            write_secrets(box, row, ConnectionSecrets({"client_secret": secret}, tokens))
            session.add(row)
            await session.flush()
            user = HelpdeskUser(
                connection_id=row.id,
                remote_id=str(agent.id),
                first_name="Kristin Hale",
                email="kristin@acme.test",
            )
            session.add(user)
            await session.flush()
            session.add(
                ExtensionBinding(
                    connection_id=row.id, helpdesk_user_id=user.id, extension=EXTENSION
                )
            )
    finally:
        await db.dispose()


async def simulator_token(url: str) -> str:
    db = Database(url)
    try:
        async with db.read() as session:
            view = await PbxConnectionRepository(session, SecretBox(SECRET_KEY.encode())).by_name(
                "simulator"
            )
    finally:
        await db.dispose()
    assert view is not None
    return view.secrets["token"].get_secret_value()


@dataclass
class Cluster:
    """The processes, by name, and how to reach the serving ones."""

    database_url: str
    redis_url: str
    workdir: Path
    processes: dict[str, Process] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def env(self, data_dir: Path, port: int | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DESKLINE_")}
        env.update(
            DESKLINE_DATABASE_URL=self.database_url,
            DESKLINE_REDIS_URL=self.redis_url,
            DESKLINE_SECRET_KEY=SECRET_KEY,
            DESKLINE_DATA_DIR=str(data_dir),
            DESKLINE_IN_PROCESS_WORKER="false",
            DESKLINE_LOG_FORMAT="text",
            DESKLINE_BUDGET_EXPECTED_PROCESSES="3",
        )
        if port is not None:
            env.update(DESKLINE_PORT=str(port), DESKLINE_HOST="127.0.0.1")
        return env

    def start_serve(self, name: str) -> None:
        port = free_port()
        data = self.workdir / name
        data.mkdir(parents=True, exist_ok=True)
        self.processes[name] = Process(["serve"], self.env(data, port), self.workdir)
        self.ports[name] = port

    def start_worker(self, name: str) -> None:
        data = self.workdir / name
        data.mkdir(parents=True, exist_ok=True)
        self.processes[name] = Process(["worker"], self.env(data), self.workdir)

    def base_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    async def wait_ready(self, seconds: float = 30) -> None:
        for name, process in self.processes.items():
            if name in self.ports:
                await asyncio.to_thread(process.wait_for, r"Uvicorn running", "stderr", seconds)
            else:
                await asyncio.to_thread(process.wait_for, r"outbox worker .* started", "stderr")

    def stop(self) -> None:
        for process in self.processes.values():
            try:
                process.terminate(20)
            except Exception:
                process.kill()

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{''.join(p.stderr)[-3000:]}" for name, p in self.processes.items()
        )


def call_batches(caller: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """An answered inbound call to 2005: (call id, the ring, the rest)."""
    scenario = CallScenario(caller=caller, callee=EXTENSION)
    events = [step.event for step in build_steps(scenario, datetime.now(UTC), speed=1000)]
    return scenario.call_id, events[:1], events[1:]
