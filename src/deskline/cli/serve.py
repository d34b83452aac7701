"""``deskline serve`` (the web app and everything it runs) and ``deskline worker``.

``serve``: checks the schema (upgrades SQLite by itself; refuses an outdated PostgreSQL unless
``--migrate``), creates the first admin (printing a generated password once), makes sure the
built-in simulator connection exists, then runs the web app with uvicorn; the app's lifespan
starts the PBX supervisor, the tracker ticks and (by default) the outbox worker. SIGINT or
SIGTERM stop it gracefully: no new requests, adapters closed, the worker's attempt finished.

``worker``: the outbox worker alone, as a separate process on the same database.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer
import uvicorn

from deskline.cli.admin import app as admin_app
from deskline.errors import DesklineError
from deskline.fanout import pop_relay
from deskline.integration.connectors import ConnectorProvider
from deskline.observability import configure_logging
from deskline.outbox.worker import Worker, WorkerOptions
from deskline.pipeline.screen_pop import PopHub
from deskline.pipeline.service import Pipeline
from deskline.runtime import event_loop
from deskline.runtime.bootstrap import ensure_first_admin, ensure_schema, ensure_simulator
from deskline.runtime.heap import settle_startup_heap
from deskline.runtime.services import Runtime
from deskline.settings import Settings, load_settings
from deskline.store import migrate
from deskline.store.db import Database
from deskline.web.app import create_app

log = logging.getLogger("deskline")


def register(app: typer.Typer) -> None:
    """Add the top-level serve and worker commands (and ``admin``) to the root app."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(admin_app, name="admin", help="Admin accounts and API tokens.")


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except DesklineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    configure_logging(settings)
    return settings


def password_box(username: str, password: str) -> str:
    """The one-time message with a generated admin password."""
    lines = [
        "deskline created the first admin account.",
        "",
        f"  username: {username}",
        f"  password: {password}",
        "",
        "This password is shown only this once and is not stored in clear.",
        "Change it with `deskline admin set-password`.",
    ]
    width = max(len(line) for line in lines) + 2
    top = "┌" + "─" * width + "┐"
    bottom = "└" + "─" * width + "┘"
    body = [f"│ {line.ljust(width - 2)} │" for line in lines]
    return "\n".join([top, *body, bottom])


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (DESKLINE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (DESKLINE_PORT).")] = None,
    migrate_db: Annotated[
        bool,
        typer.Option("--migrate", help="Upgrade an outdated PostgreSQL schema before starting."),
    ] = False,
) -> None:
    """Run deskline: the admin API and PBX webhooks, PBX connections, the outbox worker."""
    settings = _settings(host=host, port=port)
    try:
        started = event_loop.run(_serve(settings, migrate_db))
    except DesklineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if not started:
        raise typer.Exit(1)


async def _serve(settings: Settings, allow_migrate: bool) -> bool:
    db = Database.from_settings(settings)
    try:
        done = await ensure_schema(db, allow_migrate=allow_migrate)
        if done:
            log.info("%s", done)
        runtime = Runtime(settings, db)
        password = await ensure_first_admin(db, settings, runtime.passwords)
        if password is not None:
            print(password_box(settings.admin_username, password), flush=True)
        await ensure_simulator(db, runtime.box)
        config = uvicorn.Config(
            create_app(runtime),
            host=settings.host,
            port=settings.port,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=10,
        )
        server = uvicorn.Server(config)
        _absorb_reraised_signals()
        settle_startup_heap()
        await server.serve()
        return server.started
    finally:
        await db.dispose()


def _absorb_reraised_signals() -> None:
    """uvicorn re-raises the signal that stopped it once it has shut down gracefully; with
    these handlers that ends the process with status 0 instead of a signal death."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)


def worker() -> None:
    """Run the outbox worker as a separate process (same settings and database)."""
    settings = _settings()
    try:
        event_loop.run(_work(settings))
    except DesklineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


async def _work(settings: Settings) -> None:
    db = Database.from_settings(settings)
    try:
        current = await migrate.current_revision(db)
        if current != migrate.head_revision():
            raise DesklineError(
                f"the database is at revision {current or 'none'}, not "
                f"{migrate.head_revision()}: run `deskline db upgrade` first"
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        helpdesks = ConnectorProvider.for_settings(db, settings)
        # pops decided by lookup jobs reach the agents' serve processes through Redis, or
        # through the database without it (or while it is down, or no serve listens)
        relay = pop_relay(db, settings.redis_url, subscribe=False)
        hub = PopHub(relay=relay, hold_seconds=0)  # no agent connects to a worker
        Pipeline(db, settings, helpdesks, hub=hub).register_jobs()  # the helpdesk.* job kinds
        outbox_worker = Worker(db, options=WorkerOptions.from_settings(settings))
        log.info("outbox worker %s started", outbox_worker.worker_id)
        settle_startup_heap()
        try:
            await outbox_worker.run(stop)
        finally:
            log.info("outbox worker %s stopped", outbox_worker.worker_id)
            await helpdesks.aclose()
            await relay.aclose()
    finally:
        await db.dispose()
