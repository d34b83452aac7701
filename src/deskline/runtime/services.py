"""Everything one serving process holds, started and stopped together.

:class:`Runtime` is created by ``deskline serve`` (and by tests) and handed to the web app,
whose lifespan calls :meth:`Runtime.start` and :meth:`Runtime.stop`. Stopping is graceful:
adapters are closed first (no new events), the tracker decides what is due one last time, and
the in-process worker finishes the attempt in hand before returning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from deskline.budget import BudgetRegistry
from deskline.calls.tracker import CallTracker
from deskline.crypto import SecretBox
from deskline.fanout import AnyPopRelay, FanoutOptions, StoredRelayOptions, pop_relay
from deskline.integration.connectors import ConnectorProvider
from deskline.outbox.worker import Worker, WorkerOptions
from deskline.phones import shared_normaliser
from deskline.pipeline.index_refresh import IndexRefreshScheduler
from deskline.pipeline.screen_pop import PopHub
from deskline.pipeline.service import Pipeline, PipelineOptions
from deskline.runtime.accounts import Passwords
from deskline.runtime.adapter_kinds import load_adapter_kinds
from deskline.runtime.click_to_call import ClickToCall
from deskline.runtime.ingestors import IngestorRegistry
from deskline.runtime.pbx_leases import leases_for
from deskline.runtime.recordings import SupervisorRecordingFetcher
from deskline.runtime.supervisor import PbxSupervisor, SupervisorOptions
from deskline.settings import Settings
from deskline.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuntimeOptions:
    """Timings and switches of the long-running pieces (short ones make fast tests)."""

    supervisor: SupervisorOptions = field(default_factory=SupervisorOptions)
    worker: WorkerOptions | None = None
    """None: ``WorkerOptions.from_settings`` (``DESKLINE_WORKER_CONCURRENCY``)."""
    tick_seconds: float = 1.0
    settle_seconds: float = 3.0
    click_debounce_seconds: float = 5.0
    run_supervisor: bool = True
    run_worker: bool | None = None
    """None: as ``settings.in_process_worker`` says."""
    worker_stop_timeout_seconds: float = 30.0
    pipeline: PipelineOptions = field(default_factory=PipelineOptions)
    fanout: FanoutOptions = field(default_factory=FanoutOptions)
    stored_relay: StoredRelayOptions = field(default_factory=StoredRelayOptions)


class Runtime:
    """The database, the PBX supervisor, the event ingestors, the worker, click-to-call."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        options: RuntimeOptions | None = None,
        passwords: Passwords | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.options = options or RuntimeOptions()
        self.box = SecretBox(settings.effective_secret_key)
        self.helpdesks = ConnectorProvider(
            db, self.box, tz=settings.tz, budgets=BudgetRegistry.from_settings(settings)
        )
        self.passwords = passwords or Passwords()
        self.kinds = load_adapter_kinds()
        settle = self.options.settle_seconds
        self.recording_fetcher = SupervisorRecordingFetcher()
        run_worker = self.options.run_worker
        if run_worker is None:
            run_worker = settings.in_process_worker
        # separate workers (also next to this process's own) store their pops in the database
        # without Redis (or while it is down, or no serve listens): read them there; this
        # process's own pops never go through the table
        self.pop_relay: AnyPopRelay = pop_relay(
            db,
            settings.redis_url,
            subscribe=True,
            catch_up_seconds=settings.pop_hold_seconds,
            fanout=self.options.fanout,
            stored=self.options.stored_relay,
        )
        self.pipeline = Pipeline(
            db,
            settings,
            self.helpdesks,
            hub=PopHub(relay=self.pop_relay, hold_seconds=settings.pop_hold_seconds),
            fetcher=self.recording_fetcher,
            options=self.options.pipeline,
        )
        self.pipeline.register_jobs()
        self.ingestors = IngestorRegistry(
            db,
            tracker_factory=lambda: CallTracker(settle_seconds=settle),
            listener_for=self.pipeline.listener_for,
        )
        self.pbx_leases = leases_for(db)
        self.supervisor = PbxSupervisor(
            db, self.box, self.ingestors, self.options.supervisor, leases=self.pbx_leases
        )
        self.recording_fetcher.supervisor = self.supervisor
        self.normaliser = shared_normaliser(settings.default_country)
        self.click_to_call = ClickToCall(
            self.normaliser, window_seconds=self.options.click_debounce_seconds
        )
        worker_options = self.options.worker or WorkerOptions.from_settings(settings)
        self.worker = Worker(db, options=worker_options) if run_worker else None
        if self.worker is not None:
            self.pipeline.on_jobs_enqueued = self.worker.wake
        interval = settings.index_refresh_interval_seconds
        self.index_refresh = (
            IndexRefreshScheduler(db, interval, settings.index_refresh_batch) if interval else None
        )
        self._stop = asyncio.Event()
        self._refreshing: asyncio.Task[None] | None = None
        self._ticks: asyncio.Task[None] | None = None
        self._working: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"Runtime({self.db!r}, worker={'in-process' if self.worker else 'separate'})"

    async def start(self) -> None:
        self._stop.clear()
        await self.pop_relay.start(self.pipeline.hub)
        if self.options.run_supervisor:
            await self.supervisor.start()
        self._ticks = asyncio.create_task(
            self.ingestors.run_ticks(self._stop, self.options.tick_seconds), name="tracker-ticks"
        )
        if self.index_refresh is not None:
            self._refreshing = asyncio.create_task(
                self.index_refresh.run(self._stop), name="index-refresh"
            )
        if self.worker is not None:
            self._working = asyncio.create_task(self.worker.run(), name="outbox-worker")
        log.info("deskline runtime started (%r)", self)

    async def stop(self) -> None:
        """Stop adapters, then the tick loop, then the worker (after its current attempt)."""
        await self.supervisor.stop()
        await self.pbx_leases.aclose()
        self._stop.set()
        if self._ticks is not None:
            await asyncio.gather(self._ticks, return_exceptions=True)
        if self._refreshing is not None:
            await asyncio.gather(self._refreshing, return_exceptions=True)
        if self.worker is not None and self._working is not None:
            self.worker.stop()
            try:
                await asyncio.wait_for(
                    asyncio.shield(self._working), self.options.worker_stop_timeout_seconds
                )
            except TimeoutError:
                log.warning("the outbox worker did not finish its job in time; cancelling")
                self._working.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._working
        await self.helpdesks.aclose()
        await self.pop_relay.aclose()
        log.info("deskline runtime stopped")
