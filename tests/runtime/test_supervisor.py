"""The PBX supervisor: restarts a crashing adapter with backoff, records each status on the
connection row, refuses an invalid config once, and stops adapters when asked."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from pydantic import BaseModel

from deskline.crypto import SecretBox
from deskline.errors import PbxAuthenticationError
from deskline.pbx import base
from deskline.pbx.base import EventSink, OriginateResult
from deskline.runtime.ingestors import IngestorRegistry
from deskline.runtime.supervisor import PbxSupervisor, SupervisorOptions
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import PbxConnectionRepository


class FlakyConfig(BaseModel):
    crashes: int = 0
    refuse_login: bool = False


class FlakyAdapter:
    """Crashes its first ``crashes`` runs (counted across instances), then stays up."""

    kind: ClassVar[str] = "flaky"
    config_model: ClassVar[type[BaseModel]] = FlakyConfig
    runs: ClassVar[int] = 0
    closed: ClassVar[int] = 0

    def __init__(self, config: BaseModel) -> None:
        assert isinstance(config, FlakyConfig)
        self.config = config
        self._closed = asyncio.Event()

    async def run(self, sink: EventSink) -> None:
        FlakyAdapter.runs += 1
        if self.config.refuse_login:
            raise PbxAuthenticationError("the PBX refused user 'x'")
        if FlakyAdapter.runs <= self.config.crashes:
            raise ConnectionResetError(f"crash number {FlakyAdapter.runs}")
        await self._closed.wait()

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        return OriginateResult(accepted=True)

    async def close(self) -> None:
        FlakyAdapter.closed += 1
        self._closed.set()


OPTIONS = SupervisorOptions(
    backoff_initial_seconds=0.01,
    backoff_max_seconds=0.05,
    status_poll_seconds=0.01,
    stop_timeout_seconds=1,
)


@pytest.fixture(autouse=True)
def flaky_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    FlakyAdapter.runs = FlakyAdapter.closed = 0
    monkeypatch.setitem(base._registry, "flaky", (FlakyConfig, FlakyAdapter))


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(b"supervisor-test-key")


async def add_connection(db: Database, box: SecretBox, config: dict[str, object]) -> int:
    async with db.transaction() as session:
        view = await PbxConnectionRepository(session, box).create(
            name="pbx", kind="flaky", config=config
        )
    return view.id


async def status_of(db: Database, box: SecretBox, connection_id: int) -> tuple[str, str | None]:
    async with db.read() as session:
        view = await PbxConnectionRepository(session, box).get(connection_id)
    assert view is not None
    return view.status, view.status_detail


async def eventually(db: Database, box: SecretBox, connection_id: int, wanted: str) -> str | None:
    for _ in range(300):
        status, detail = await status_of(db, box, connection_id)
        if status == wanted:
            return detail
        await asyncio.sleep(0.01)
    raise AssertionError(f"status {status} ({detail}), never {wanted}")


async def test_a_crashing_adapter_is_restarted_until_it_stays_up(
    sqlite_db: Database, box: SecretBox
) -> None:
    connection_id = await add_connection(sqlite_db, box, {"crashes": 3})
    supervisor = PbxSupervisor(sqlite_db, box, IngestorRegistry(sqlite_db), OPTIONS)
    await supervisor.start()
    try:
        await eventually(sqlite_db, box, connection_id, "connected")
        assert FlakyAdapter.runs == 4
        assert supervisor.adapter(connection_id) is not None
    finally:
        await supervisor.stop()
    assert (await status_of(sqlite_db, box, connection_id))[0] == "stopped"
    assert supervisor.adapter(connection_id) is None
    assert FlakyAdapter.closed >= 4  # every instance was closed


async def test_a_crash_is_shown_as_retrying_with_its_reason(
    sqlite_db: Database, box: SecretBox
) -> None:
    connection_id = await add_connection(sqlite_db, box, {"crashes": 1000})
    supervisor = PbxSupervisor(sqlite_db, box, IngestorRegistry(sqlite_db), OPTIONS)
    await supervisor.start()
    try:
        detail = await eventually(sqlite_db, box, connection_id, "retrying")
        assert detail is not None and "ConnectionResetError: crash number" in detail
        assert "trying again in" in detail
    finally:
        await supervisor.stop()


async def test_refused_credentials_are_auth_failed(sqlite_db: Database, box: SecretBox) -> None:
    connection_id = await add_connection(sqlite_db, box, {"refuse_login": True})
    supervisor = PbxSupervisor(sqlite_db, box, IngestorRegistry(sqlite_db), OPTIONS)
    await supervisor.start()
    try:
        detail = await eventually(sqlite_db, box, connection_id, "auth_failed")
        assert detail is not None and "refused user 'x'" in detail
    finally:
        await supervisor.stop()


async def test_an_invalid_stored_config_is_reported_and_not_retried(
    sqlite_db: Database, box: SecretBox
) -> None:
    connection_id = await add_connection(sqlite_db, box, {"crashes": "many"})
    supervisor = PbxSupervisor(sqlite_db, box, IngestorRegistry(sqlite_db), OPTIONS)
    await supervisor.start()
    try:
        detail = await eventually(sqlite_db, box, connection_id, "invalid_config")
        assert detail is not None and "crashes" in detail
        assert FlakyAdapter.runs == 0
    finally:
        await supervisor.stop()
