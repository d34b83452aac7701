"""A connected Zendesk (the emulator, over real HTTP) and a deskline pipeline on SQLite.

``Desk`` holds everything a pipeline test drives: the ingestor that takes call events (the
pipeline's listener inside), the outbox worker that runs the jobs, the agents' pop hub, and
the emulator to assert on. The helpdesk connection row is written like the admin's connect
flow leaves it: fields, secrets and tokens encrypted, status connected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from deskline.calls.events import CallEvent
from deskline.calls.model import Direction, LegStatus, QueueOutcome
from deskline.calls.tracker import CallTracker
from deskline.connector.tokens import OAuthTokens
from deskline.crypto import SecretBox
from deskline.ingest import EventIngestor
from deskline.integration.connectors import ConnectorProvider, ProviderOptions
from deskline.integration.records import ConnectionSecrets, write_secrets
from deskline.outbox import Worker, WorkerOptions
from deskline.pbx.recordings import FetchedRecording, RecordingNotReadyError, write_file
from deskline.pipeline.screen_pop import PopHub
from deskline.pipeline.service import Pipeline, PipelineOptions
from deskline.settings import Settings, load_settings
from deskline.store.db import Database
from deskline.store.models import (
    CallAction,
    ExtensionBinding,
    HelpdeskConnection,
    HelpdeskRequestLog,
    HelpdeskUser,
    Job,
)
from deskline.store.types import utcnow
from tests.calls import builders as b
from tests.fakes.zendesk import ManualClock, RunningEmulator
from tests.fakes.zendesk.testing import obtain_tokens

SOURCE = "pbx"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4


class FakePbx:
    """Recordings as a PBX keeps them: ``files[ref]``; a missing ref is not ready yet."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.fetches: list[str] = []

    async def __call__(self, source: str, ref: str, destination: Path) -> FetchedRecording:
        self.fetches.append(ref)
        if ref not in self.files:
            raise RecordingNotReadyError(f"{ref} is still being written")
        write_file(destination, self.files[ref])
        return FetchedRecording("audio/wav", len(self.files[ref]))


@dataclass
class Desk:
    db: Database
    settings: Settings
    zendesk: RunningEmulator
    pipeline: Pipeline
    ingestor: EventIngestor
    worker: Worker
    pbx: FakePbx
    connection_id: int
    agents: dict[str, Any] = field(default_factory=dict)  # extension -> emulator user

    @property
    def emulator(self) -> Any:
        return self.zendesk.emulator

    async def events(self, *events: CallEvent) -> None:
        for event in events:
            await self.ingestor([event])

    async def settle(self) -> None:
        """Let the tracker decide the calls that are over (as its tick does later)."""
        await self.ingestor.tick(utcnow() + timedelta(hours=1))

    async def work(self, limit: int = 50) -> int:
        """Run every due job; returns how many ran."""
        ran = 0
        while ran < limit and await self.worker.run_once():
            ran += 1
        return ran

    def requests(self, method: str | None = None, path: str | None = None) -> list[Any]:
        return list(self.emulator.requests(method, path))

    def api_requests(self) -> list[Any]:
        return [r for r in self.emulator.requests() if "/api/v2/" in str(_path(r))]

    def tickets(self) -> list[dict[str, Any]]:
        tickets: list[dict[str, Any]] = self.emulator.state()["tickets"]
        return tickets

    async def set_settings(self, **values: Any) -> None:
        async with self.db.transaction() as session:
            row = await session.get(HelpdeskConnection, self.connection_id)
            assert row is not None
            row.settings = {**row.settings, **values}

    async def actions(self) -> dict[str, CallAction]:
        async with self.db.read() as session:
            rows = (await session.execute(select(CallAction))).scalars()
            return {row.action + "@" + row.pbx_call_id: row for row in rows}

    async def jobs(self) -> list[Job]:
        async with self.db.read() as session:
            return list((await session.execute(select(Job).order_by(Job.id))).scalars())

    async def logged_requests(self) -> int:
        async with self.db.read() as session:
            return int(
                (
                    await session.execute(select(func.count()).select_from(HelpdeskRequestLog))
                ).scalar_one()
            )


def _path(request: Any) -> str:
    return str(getattr(request, "path", None) or request.get("path", ""))


DEFAULT_SETTINGS: dict[str, Any] = {
    "tickets": {"enabled": True, "timing": "after_call"},
    "call_journal": True,
    "contact_creation": {"mode": "auto", "inbound": True, "outbound": True},
}


async def connect_desk(
    db: Database,
    tmp_path: Path,
    zendesk: RunningEmulator,
    *,
    settings: dict[str, Any] | None = None,
    agents: Sequence[tuple[str, str, str]] = (("2005", "Kristin Hale", "kristin@acme.test"),),
    pop_trigger: str = "ringing",
) -> Desk:
    emulator = zendesk.emulator
    clock = emulator.clock
    assert isinstance(clock, ManualClock)
    emulator.add_agent("Desk Admin", "admin@acme.test", admin=True)
    emulator.register_oauth_client("deskline", ["http://127.0.0.1:8000/oauth/callback"])
    with httpx.Client(base_url=zendesk.base_url, timeout=5) as http:
        body = obtain_tokens(http, emulator)
    app_settings = load_settings(
        data_dir=tmp_path / "data",
        secret_key="pipeline-test-secret-0123456789",
        public_url="https://deskline.test",
    )
    box = SecretBox(app_settings.effective_secret_key)
    client_secret = emulator.oauth.clients["deskline"].secret
    now = clock.now()
    tokens = OAuthTokens(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token"),
        token_type="bearer",
        obtained_at=now,
        expires_at=now + float(body.get("expires_in") or 3600),
        scope=body.get("scope"),
    )
    users = {}
    async with db.transaction() as session:
        row = HelpdeskConnection(
            template_key="zendesk",
            name="Zendesk",
            status="connected",
            enabled=True,
            fields={"client_id": "deskline", "subdomain": "acme", "base_url": zendesk.base_url},
            settings=settings if settings is not None else DEFAULT_SETTINGS,
            connected_at=utcnow(),
        )
        write_secrets(box, row, ConnectionSecrets({"client_secret": client_secret}, tokens))
        session.add(row)
        await session.flush()
        for extension, name, email in agents:
            remote = emulator.add_agent(name, email)
            users[extension] = remote
            user = HelpdeskUser(
                connection_id=row.id, remote_id=str(remote.id), first_name=name, email=email
            )
            session.add(user)
            await session.flush()
            session.add(
                ExtensionBinding(
                    connection_id=row.id,
                    helpdesk_user_id=user.id,
                    extension=extension,
                    pop_trigger=pop_trigger,
                )
            )
        connection_id = row.id
    provider = ConnectorProvider(db, box, options=ProviderOptions(clock=clock.now))
    pbx = FakePbx()
    options = PipelineOptions(wait_seconds=60)
    pipeline = Pipeline(db, app_settings, provider, hub=PopHub(), fetcher=pbx, options=options)
    pipeline.register_jobs()
    tracker = CallTracker(settle_seconds=0.0)
    ingestor = EventIngestor(db, tracker, SOURCE, listener=pipeline.listener_for(SOURCE))
    worker = Worker(db, "test-worker", WorkerOptions(poll_seconds=0.01, lease_seconds=30))
    return Desk(db, app_settings, zendesk, pipeline, ingestor, worker, pbx, connection_id, users)


# --- call event sequences ------------------------------------------------------------------


def inbound_answered(
    call_id: str, caller: str, ext: str = "2005", *, recording: str | None = None
) -> list[CallEvent]:
    events: list[CallEvent] = [
        b.offered(0, caller=caller, callee="5550100", call_id=call_id),
        b.ringing(0.1, ext, call_id=call_id),
        b.answered(3, ext, call_id=call_id),
    ]
    if recording:
        events.append(b.recording(3.1, recording, call_id=call_id))
    events += [
        b.leg_ended(68, ext, LegStatus.ANSWERED, call_id=call_id),
        b.hung_up(68, call_id=call_id),
    ]
    return events


def inbound_missed(call_id: str, caller: str, ext: str = "2005") -> list[CallEvent]:
    return [
        b.offered(0, caller=caller, callee="5550100", call_id=call_id),
        b.ringing(0.1, ext, call_id=call_id),
        b.leg_ended(20, ext, LegStatus.NO_ANSWER, call_id=call_id),
        b.hung_up(20, call_id=call_id),
    ]


def outbound(call_id: str, ext: str, number: str, *, answered: bool) -> list[CallEvent]:
    events: list[CallEvent] = [
        b.offered(0, caller=ext, callee=number, direction=Direction.OUTBOUND, call_id=call_id),
        b.ringing(0, ext, call_id=call_id),
    ]
    if answered:
        events += [
            b.answered(0.5, ext, call_id=call_id),
            b.call_answered(4, ext, call_id=call_id),
            b.leg_ended(34, ext, LegStatus.ANSWERED, call_id=call_id),
            b.hung_up(34, call_id=call_id),
        ]
    else:
        events += [
            b.leg_ended(25, ext, LegStatus.CANCELLED, call_id=call_id),
            b.hung_up(25, call_id=call_id),
        ]
    return events


def queue_answered(call_id: str, caller: str, rung: str, answering: str) -> list[CallEvent]:
    return [
        b.offered(0, caller=caller, callee="5550100", call_id=call_id),
        b.queue_entered(0.1, call_id=call_id),
        b.ringing(0.2, rung, call_id=call_id),
        b.leg_ended(10, rung, LegStatus.NO_ANSWER, call_id=call_id),
        b.ringing(10.1, answering, call_id=call_id),
        b.answered(12, answering, call_id=call_id),
        b.queue_left(12, QueueOutcome.ANSWERED, call_id=call_id),
        b.leg_ended(50, answering, LegStatus.ANSWERED, call_id=call_id),
        b.hung_up(50, call_id=call_id),
    ]
