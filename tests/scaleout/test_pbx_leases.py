"""One PBX connection runs in one process: two supervisors on one PostgreSQL database share
it through an advisory-lock lease, and the standby takes over when the holder goes away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

import pytest
from pydantic import BaseModel

from deskline.crypto import SecretBox
from deskline.pbx import base
from deskline.pbx.base import EventSink, OriginateResult
from deskline.runtime.ingestors import IngestorRegistry
from deskline.runtime.pbx_leases import PostgresLeases, leases_for
from deskline.runtime.supervisor import PbxSupervisor, SupervisorOptions
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import PbxConnectionRepository, PbxConnectionView

pytestmark = pytest.mark.postgres

BOX = SecretBox(b"lease-test-key")
OPTIONS = SupervisorOptions(
    backoff_initial_seconds=0.02,
    backoff_max_seconds=0.05,
    status_poll_seconds=0.02,
    lease_poll_seconds=0.02,
    stop_timeout_seconds=2,
)


class Empty(BaseModel):
    pass


class CountingAdapter:
    """Runs until closed; counts the adapters running right now."""

    kind: ClassVar[str] = "lease-test"
    config_model: ClassVar[type[BaseModel]] = Empty
    running: ClassVar[int] = 0
    started: ClassVar[int] = 0

    def __init__(self, config: BaseModel) -> None:
        self._closed = asyncio.Event()

    async def run(self, sink: EventSink) -> None:
        CountingAdapter.running += 1
        CountingAdapter.started += 1
        try:
            await self._closed.wait()
        finally:
            CountingAdapter.running -= 1

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        return OriginateResult(accepted=True)

    async def close(self) -> None:
        self._closed.set()


@pytest.fixture(autouse=True)
def lease_test_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(base._registry, "lease-test", (Empty, CountingAdapter))
    CountingAdapter.running = CountingAdapter.started = 0


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def office(db: Database) -> PbxConnectionView:
    """The PBX connection the supervisors share (its adapter: :class:`CountingAdapter`)."""
    async with db.transaction() as session:
        return await PbxConnectionRepository(session, BOX).create(
            name="office", kind="lease-test", config={}
        )


def supervisor(db: Database) -> PbxSupervisor:
    return PbxSupervisor(db, BOX, IngestorRegistry(db), OPTIONS, leases=leases_for(db))


async def test_leases_on_postgres_are_exclusive(postgres_db: Database) -> None:
    first, second = PostgresLeases(postgres_db), PostgresLeases(postgres_db)
    try:
        held = await first.acquire(7)
        assert held is not None and await held.alive()
        assert await second.acquire(7) is None
        other = await second.acquire(8)  # another connection is free
        assert other is not None
        await held.release()
        taken = await second.acquire(7)
        assert taken is not None
        await other.release()
        await taken.release()
    finally:
        await first.aclose()
        await second.aclose()


async def test_one_process_runs_the_connection_and_another_takes_over(
    postgres_db: Database,
) -> None:
    view = await office(postgres_db)
    a, b = supervisor(postgres_db), supervisor(postgres_db)
    try:
        await a.start()
        await until(lambda: a.adapter(view.id) is not None)
        await b.start()
        for _ in range(20):  # b keeps standing by while a runs it
            await asyncio.sleep(OPTIONS.lease_poll_seconds)
            assert CountingAdapter.running == 1 and b.adapter(view.id) is None

        await a.stop()  # the holder goes away: its lease is freed
        await until(lambda: b.adapter(view.id) is not None)
        assert CountingAdapter.running == 1 and CountingAdapter.started == 2
        async with postgres_db.read() as session:
            row = await PbxConnectionRepository(session, BOX).get(view.id)
        assert row is not None and row.status in ("connecting", "connected")
    finally:
        await a.stop()
        await b.stop()
        await a.leases.aclose()
        await b.leases.aclose()


async def test_a_holder_that_loses_its_database_session_stops_and_another_takes_over(
    postgres_db: Database,
) -> None:
    view = await office(postgres_db)
    a, b = supervisor(postgres_db), supervisor(postgres_db)
    try:
        await a.start()
        await until(lambda: a.adapter(view.id) is not None)
        await b.start()
        # the database ends a's lock session (as when PostgreSQL restarts or the process dies)
        async with postgres_db.engine.connect() as connection:
            await connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                f"WHERE locktype = 'advisory' AND objid = {view.id}"
            )
        await until(lambda: b.adapter(view.id) is not None or a.adapter(view.id) is None)
        await until(lambda: CountingAdapter.running == 1 and CountingAdapter.started >= 2)
    finally:
        await a.stop()
        await b.stop()
        await a.leases.aclose()
        await b.leases.aclose()


async def test_the_stopping_holder_leaves_its_status_before_its_lease(
    postgres_db: Database,
) -> None:
    """Written after the lease is freed, "stopped" could land on top of the status of the
    process that took over (it did, now and then, under load)."""
    view = await office(postgres_db)
    a = supervisor(postgres_db)
    status_when_released: list[str] = []
    acquire = a.leases.acquire

    async def acquire_watched(connection_id: int) -> object:
        lease = await acquire(connection_id)
        if lease is not None:
            release = lease.release

            async def release_watched() -> None:
                async with postgres_db.read() as session:
                    row = await PbxConnectionRepository(session, BOX).get(connection_id)
                    assert row is not None
                    status_when_released.append(row.status)
                await release()

            lease.release = release_watched  # type: ignore[method-assign]
        return lease

    a.leases.acquire = acquire_watched  # type: ignore[method-assign]
    try:
        await a.start()
        await until(lambda: a.adapter(view.id) is not None)
        await a.stop()
        assert status_when_released == ["stopped"]
    finally:
        await a.stop()
        await a.leases.aclose()


class SlowCheckLeases:
    """Leases like PostgreSQL's whose check is a slow statement: a check cut off (the runner
    cancelled in the middle of it) ends the lease's session, so the lease is gone."""

    shared = True

    def __init__(self, db: Database) -> None:
        self.db = db
        self.events: list[str] = []

    async def acquire(self, connection_id: int) -> SlowCheckLeases:
        return self

    async def alive(self) -> bool:
        try:
            await asyncio.sleep(0.3)
        except asyncio.CancelledError:
            self.events.append("check cut off: lease gone")
            raise
        return True

    async def release(self) -> None:
        async with self.db.read() as session:
            row = await PbxConnectionRepository(session, BOX).get(1)
        self.events.append(f"released with status {row.status if row else None}")

    async def aclose(self) -> None:
        return None


async def test_a_stopping_holder_writes_its_final_status_before_its_lease_goes(
    postgres_db: Database,
) -> None:
    view = await office(postgres_db)
    assert view.id == 1
    leases = SlowCheckLeases(postgres_db)
    holder = PbxSupervisor(postgres_db, BOX, IngestorRegistry(postgres_db), OPTIONS, leases)
    await holder.start()
    await until(lambda: holder.adapter(view.id) is not None)
    await asyncio.sleep(0.1)  # the first check of the lease is under way (0.02 s to 0.32 s)

    await holder.stop()

    assert leases.events == ["released with status stopped"]
