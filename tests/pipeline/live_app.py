"""deskline's web app on a real uvicorn server (127.0.0.1, a free port), in the test's loop,
with a helpdesk connection row and bound agents — no helpdesk requests needed."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from deskline.connector import Contact
from deskline.connector.tokens import OAuthTokens
from deskline.integration.records import ConnectionSecrets, write_secrets
from deskline.outbox.worker import WorkerOptions
from deskline.runtime.services import Runtime, RuntimeOptions
from deskline.settings import Settings, load_settings
from deskline.store.db import Database
from deskline.store.models import ExtensionBinding, HelpdeskConnection, HelpdeskUser
from deskline.store.types import utcnow
from deskline.web.app import create_app

OPTIONS = RuntimeOptions(
    worker=WorkerOptions(poll_seconds=0.05, lease_seconds=5),
    tick_seconds=0.05,
    settle_seconds=0.1,
    run_supervisor=False,
    run_worker=False,
)


@dataclass
class LiveApp:
    base_url: str
    ws_url: str
    runtime: Runtime
    settings: Settings
    connection_id: int

    async def index_contact(self, remote_id: str, name: str, number: str) -> None:
        pipeline = self.runtime.pipeline
        async with self.runtime.db.transaction() as session:
            await pipeline.index.upsert(
                session,
                self.connection_id,
                Contact(
                    "End-user",
                    remote_id,
                    first_name=name,
                    phones={"BusinessNumber": number},
                    popup_url=f"https://acme.zendesk.com/agent/users/{remote_id}",
                ),
            )


async def _seed(
    db: Database, settings: Settings, runtime: Runtime, bindings: dict[str, str]
) -> int:
    async with db.transaction() as session:
        row = HelpdeskConnection(
            template_key="zendesk",
            name="Zendesk",
            status="connected",
            fields={"client_id": "deskline", "subdomain": "acme"},
            settings={"tickets": {"enabled": False}},
            connected_at=utcnow(),
        )
        tokens = OAuthTokens("access", "refresh", "bearer", 0.0, None)
        write_secrets(runtime.box, row, ConnectionSecrets({"client_secret": "s"}, tokens))
        session.add(row)
        await session.flush()
        for index, (extension, trigger) in enumerate(bindings.items()):
            user = HelpdeskUser(connection_id=row.id, remote_id=str(900 + index))
            session.add(user)
            await session.flush()
            mode = "manual" if trigger == "manual" else "auto"
            session.add(
                ExtensionBinding(
                    connection_id=row.id,
                    helpdesk_user_id=user.id,
                    extension=extension,
                    pop_mode=mode,
                    pop_trigger="ringing" if mode == "manual" else trigger,
                )
            )
        return row.id


@asynccontextmanager
async def live_app(
    db: Database, tmp_path: Path, bindings: dict[str, str] | None = None, **runtime_kw: Any
) -> AsyncIterator[LiveApp]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        secret_key="live-app-secret-0123456789",
        public_url="http://127.0.0.1",
    )
    runtime = Runtime(settings, db, options=OPTIONS)
    connection_id = await _seed(db, settings, runtime, bindings or {"2005": "ringing"})
    app = create_app(runtime)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", ws="websockets-sansio")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield LiveApp(
            f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", runtime, settings, connection_id
        )
    finally:
        server.should_exit = True
        await task
        sock.close()
