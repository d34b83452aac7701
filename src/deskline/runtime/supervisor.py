"""The PBX supervisor: one task per enabled PBX connection, kept running.

Each task builds the connection's adapter from its stored config and runs it with the
connection's event ingestor as the sink. When the adapter's ``run`` fails (or returns while
it should be running) the task starts it again after a pause that doubles from
``backoff_initial_seconds`` up to ``backoff_max_seconds`` (with jitter; an adapter that ran
``stable_after_seconds`` starts over from the initial pause). A refused login waits the
longest pause. Every change of status is written to the connection row, with a detail the
admin can act on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass

from deskline.crypto import SecretBox
from deskline.errors import PbxAuthenticationError
from deskline.pbx.base import EventSink, PbxAdapter, build_adapter
from deskline.runtime.connection_status import ConnectionStatus, observed_status
from deskline.runtime.ingestors import IngestorRegistry
from deskline.runtime.pbx_config import InvalidConnectionConfig, validate_config
from deskline.runtime.pbx_leases import LocalLeases, PbxLease, PbxLeases
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import (
    PbxConnectionRepository,
    PbxConnectionView,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SupervisorOptions:
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    stable_after_seconds: float = 60.0
    status_poll_seconds: float = 2.0
    stop_timeout_seconds: float = 5.0
    lease_poll_seconds: float = 2.0
    """How often a standby process asks again for a connection another process runs."""

    def backoff(self, failures: int, *, auth_failed: bool = False) -> float:
        if auth_failed:
            return self.backoff_max_seconds
        delay: float = self.backoff_initial_seconds * 2.0 ** max(0, failures - 1)
        return min(self.backoff_max_seconds, delay) * random.uniform(0.75, 1.0)


class PbxSupervisor:
    """Starts, restarts and stops the adapters of the stored PBX connections."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        ingestors: IngestorRegistry,
        options: SupervisorOptions | None = None,
        leases: PbxLeases | None = None,
    ) -> None:
        self.leases: PbxLeases = leases or LocalLeases()
        self.db = db
        self.box = box
        self.ingestors = ingestors
        self.options = options or SupervisorOptions()
        self._runners: dict[int, _ConnectionRunner] = {}
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"PbxSupervisor(running={sorted(self._runners)})"

    async def start(self) -> None:
        """Start every enabled connection (and mark the others disabled)."""
        async with self.db.read() as session:
            views = await PbxConnectionRepository(session, self.box).list()
        for view in views:
            await self.reload(view.id)

    async def reload(self, connection_id: int) -> None:
        """Apply a connection's stored state: (re)start it if enabled, stop it otherwise."""
        async with self._lock:
            await self._halt(connection_id)
            async with self.db.read() as session:
                view = await PbxConnectionRepository(session, self.box).get(connection_id)
            if view is None:
                return
            if not view.enabled:
                await self.write_status(view.id, ConnectionStatus.DISABLED, None)
                return
            runner = _ConnectionRunner(self, view)
            self._runners[view.id] = runner
            if not self.leases.shared:  # else the lease holder tells (see pbx_leases)
                await runner.announce(ConnectionStatus.CONNECTING, None)
            runner.start()

    async def remove(self, connection_id: int, source: str) -> None:
        """Stop a deleted connection and forget its ingestor."""
        async with self._lock:
            await self._halt(connection_id)
        self.ingestors.forget(source)

    def adapter(self, connection_id: int) -> PbxAdapter | None:
        """The running adapter of a connection (None when it is not running right now)."""
        runner = self._runners.get(connection_id)
        return None if runner is None else runner.adapter

    def adapter_named(self, name: str) -> PbxAdapter | None:
        """The running adapter of the connection called ``name`` (a call's ``source``)."""
        for runner in self._runners.values():
            if runner.view.name == name:
                return runner.adapter
        return None

    async def stop(self) -> None:
        """Close every adapter, then cancel what is left."""
        async with self._lock:
            for connection_id in list(self._runners):
                await self._halt(connection_id, ConnectionStatus.STOPPED)

    async def _halt(self, connection_id: int, final: ConnectionStatus | None = None) -> None:
        runner = self._runners.pop(connection_id, None)
        if runner is not None:
            await runner.stop(self.options.stop_timeout_seconds, final)

    async def write_status(
        self, connection_id: int, status: ConnectionStatus, detail: str | None
    ) -> None:
        try:
            async with self.db.transaction() as session:
                repository = PbxConnectionRepository(session, self.box)
                await repository.set_status(connection_id, status.value, detail)
        except LookupError:
            pass  # deleted meanwhile
        except Exception:
            log.exception("cannot record the status of PBX connection %s", connection_id)


class _ConnectionRunner:
    """The task that keeps one connection's adapter running."""

    def __init__(self, supervisor: PbxSupervisor, view: PbxConnectionView) -> None:
        self.supervisor = supervisor
        self.view = view
        self.adapter: PbxAdapter | None = None
        self._task: asyncio.Task[None] | None = None
        self._last: tuple[ConnectionStatus, str | None] | None = None
        self._stopping = asyncio.Event()
        self._lease: PbxLease | None = None
        self._final: ConnectionStatus | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep_running(), name=f"pbx:{self.view.name}")

    async def stop(self, wait_seconds: float, final: ConnectionStatus | None = None) -> None:
        """Stop the adapter; ``final``: the status to leave, written while this process still
        holds the lease (written after, it could overwrite the status of the process that
        takes over)."""
        task, adapter = self._task, self.adapter
        if task is None:
            return
        self._final = final
        self._stopping.set()
        if adapter is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(adapter.close(), wait_seconds)
        # the runner sees ``_stopping``, writes ``final`` while it still holds the lease, then
        # releases it; cancelled instead, it could be cut off in the middle of a statement on
        # the lease's connection, which ends that session and frees the lease before ``final``
        # is written (the process taking over would then be shown "stopped")
        done, _ = await asyncio.wait({task}, timeout=wait_seconds)
        if not done:
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await self._drop_lease()

    async def announce(self, status: ConnectionStatus, detail: str | None) -> None:
        await self._status(status, detail)

    async def _status(self, status: ConnectionStatus, detail: str | None) -> None:
        if self._last != (status, detail):
            self._last = (status, detail)
            log.info(
                "PBX connection %s: %s%s", self.view.name, status, f" ({detail})" if detail else ""
            )
            await self.supervisor.write_status(self.view.id, status, detail)

    async def _keep_running(self) -> None:
        options = self.supervisor.options
        view = self.view
        failures = 0
        while not self._stopping.is_set():
            if not await self._take_lease():
                return
            try:
                validate_config(view.kind, view.full_config())
                adapter = build_adapter(view.kind, view.full_config())
            except (InvalidConnectionConfig, LookupError, KeyError) as exc:
                await self._status(ConnectionStatus.INVALID_CONFIG, str(exc))
                await self._drop_lease()
                return
            started = time.monotonic()
            auth_failed = False
            await self._status(ConnectionStatus.CONNECTING, None)
            try:
                sink = await self.supervisor.ingestors.get(view.name)  # reads the database
                await self._run(adapter, sink)
                detail = "the adapter stopped on its own"
            except PbxAuthenticationError as exc:
                auth_failed, detail = True, str(exc)
            except Exception as exc:
                log.warning("PBX connection %s failed", view.name, exc_info=True)
                detail = f"{type(exc).__name__}: {exc}"
            finally:
                self.adapter = None
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(adapter.close(), options.stop_timeout_seconds)
                if self._stopping.is_set() and self._final is not None:
                    with contextlib.suppress(Exception):
                        await self._status(self._final, None)
                await self._drop_lease()
            if self._stopping.is_set():
                return
            failures = (
                1 if time.monotonic() - started >= options.stable_after_seconds else failures + 1
            )
            pause = options.backoff(failures, auth_failed=auth_failed)
            status = ConnectionStatus.AUTH_FAILED if auth_failed else ConnectionStatus.RETRYING
            await self._status(status, f"{detail}; trying again in {pause:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    async def _run(self, adapter: PbxAdapter, sink: EventSink) -> None:
        """Run the adapter until its ``run`` ends, writing the status it shows meanwhile."""
        self.adapter = adapter
        running = asyncio.create_task(adapter.run(sink), name=f"pbx-run:{self.view.name}")
        try:
            while True:
                done, _ = await asyncio.wait({running}, timeout=self._poll_delay())
                if done:
                    running.result()
                    return
                if self._stopping.is_set():  # the adapter did not end when closed
                    return
                if self._lease is not None and not await self._lease.alive():
                    raise ConnectionError("lost the lease of the connection (database gone?)")
                await self._status(*observed_status(adapter))
        finally:
            if not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)

    async def _take_lease(self) -> bool:
        """Wait until this process may run the connection; False when stopping meanwhile."""
        leases, waited = self.supervisor.leases, False
        while not self._stopping.is_set():
            try:
                self._lease = await leases.acquire(self.view.id)
            except Exception as exc:  # the database is down: try again later
                log.warning("PBX connection %s: cannot ask for its lease: %s", self.view.name, exc)
                self._lease = None
            if self._lease is not None:
                return True
            if not waited:
                waited = True
                log.info("PBX connection %s runs in another process; standing by", self.view.name)
            with contextlib.suppress(TimeoutError):
                poll = self.supervisor.options.lease_poll_seconds
                await asyncio.wait_for(self._stopping.wait(), poll)
        return False

    async def _drop_lease(self) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            await lease.release()

    def _poll_delay(self) -> float:
        # look soon after the start, then at the configured pace
        poll = self.supervisor.options.status_poll_seconds
        return (
            min(0.1, poll) if self._last and self._last[0] is ConnectionStatus.CONNECTING else poll
        )
