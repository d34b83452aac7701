"""The admin app on a real database (SQLite, and PostgreSQL through the ``db`` fixture),
driven over HTTP with httpx; fast timings and a cheap password hash for the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from deskline.outbox.worker import WorkerOptions
from deskline.runtime.accounts import Passwords
from deskline.runtime.bootstrap import ensure_simulator
from deskline.runtime.services import Runtime, RuntimeOptions
from deskline.runtime.supervisor import SupervisorOptions
from deskline.settings import Settings, load_settings
from deskline.store.db import Database
from deskline.store.repositories import users
from deskline.web.app import create_app
from deskline.web.auth.sessions import AuthOptions

ADMIN = "admin"
PASSWORD = "correct horse battery"
FAST_OPTIONS = RuntimeOptions(
    supervisor=SupervisorOptions(
        backoff_initial_seconds=0.05,
        backoff_max_seconds=0.2,
        status_poll_seconds=0.05,
        stop_timeout_seconds=2,
    ),
    worker=WorkerOptions(poll_seconds=0.05, lease_seconds=5),
    tick_seconds=0.05,
    settle_seconds=0.2,
    click_debounce_seconds=60,
    run_worker=False,
)
FAST_AUTH = AuthOptions(failure_delay_seconds=0, max_failures=3, lockout_seconds=60)


def fast_passwords() -> Passwords:
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", secret_key="test-secret-key-0123456789")


@pytest.fixture
def runtime_options() -> RuntimeOptions:
    return FAST_OPTIONS


@dataclass
class Server:
    """The app, its runtime, and clients: anonymous (``anon``) and logged in (``admin``)."""

    app: FastAPI
    runtime: Runtime
    anon: httpx.AsyncClient
    admin: httpx.AsyncClient
    token: str

    def client(self, **kwargs: object) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://testserver", **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def server(
    db: Database, settings: Settings, runtime_options: RuntimeOptions
) -> AsyncIterator[Server]:
    passwords = fast_passwords()
    async with db.transaction() as session:
        await users.create_user(session, ADMIN, passwords.hash(PASSWORD))
    runtime = Runtime(settings, db, options=runtime_options, passwords=passwords)
    await ensure_simulator(db, runtime.box)
    app = create_app(runtime, auth_options=FAST_AUTH)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anon:
            answer = await anon.post(
                "/api/auth/login", json={"username": ADMIN, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            token = answer.json()["token"]
            anon.cookies.clear()
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {token}"},
            ) as admin:
                yield Server(app, runtime, anon, admin, token)
