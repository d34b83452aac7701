"""GET /metrics: the text format, job gauges from the database, loopback or bearer token."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from deskline.outbox import enqueue
from deskline.settings import Settings, load_settings
from deskline.store.db import Database
from deskline.web.errors import install_error_handlers
from deskline.web.metrics import router

SCRAPE_TOKEN = "scrape-token-7c1d2e9f0a"


def metrics_app(db: Database, settings: Settings) -> FastAPI:
    app = FastAPI()
    app.state.runtime = SimpleNamespace(db=db, settings=settings)
    install_error_handlers(app)
    app.include_router(router)
    return app


def client(app: FastAPI, host: str = "127.0.0.1", **kwargs: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://deskline", **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, secret_key="metrics-test-secret-key")


async def test_a_loopback_scrape_gets_the_job_figures(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        await enqueue(session, "helpdesk.ticket.create", {})
        await enqueue(session, "helpdesk.journal", {})
    async with client(metrics_app(db, settings)) as scraper:
        answer = await scraper.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert 'deskline_jobs{state="pending"} 2.0' in text
    assert 'deskline_jobs{state="failed"} 0.0' in text
    assert "deskline_oldest_pending_job_seconds" in text
    for name in (
        "deskline_pbx_events_total",
        "deskline_job_attempts_total",
        "deskline_helpdesk_requests_total",
        "deskline_helpdesk_request_seconds",
        "deskline_budget_wait_seconds",
        "deskline_screen_pop_seconds",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text


async def test_without_a_token_other_hosts_are_refused(db: Database, settings: Settings) -> None:
    async with client(metrics_app(db, settings), host="203.0.113.9") as outsider:
        answer = await outsider.get("/metrics")
    assert answer.status_code == 403
    assert "loopback" in answer.json()["message"]


async def test_with_a_token_every_scrape_must_bring_it(db: Database, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, secret_key="metrics-test-secret-key", metrics_token=SCRAPE_TOKEN
    )
    app = metrics_app(db, settings)
    async with client(app) as local, client(app, host="203.0.113.9") as remote:
        assert (await local.get("/metrics")).status_code == 401  # loopback is not enough
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await remote.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
        assert right.status_code == 200
        assert SCRAPE_TOKEN not in right.text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def served(sqlite_db: Database, settings: Settings) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        metrics_app(sqlite_db, settings), host="127.0.0.1", port=port, log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
        assert not task.done(), "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_prometheus_can_scrape_over_real_http(served: str) -> None:
    async with httpx.AsyncClient() as prometheus:
        answer = await prometheus.get(f"{served}/metrics")
    assert answer.status_code == 200
    assert "deskline_jobs" in answer.text
