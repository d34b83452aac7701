"""Regression: disabling a connection stops its adapter whatever the interleaving of the
adapter's ``close`` and the runner's own clean-up.

When the adapter's ``run`` ends as soon as ``close`` begins, the runner closes the adapter a
second time while the supervisor cancels it. Python 3.11's ``asyncio.wait_for`` drops a
cancellation that arrives just as the awaited ``close`` finishes; the runner then restarted
the adapter and the supervisor waited for it forever — a PATCH disabling an Asterisk
connection hung (found by ``tests/e2e/test_ami_capture.py``). The test walks through the
interleavings: a first ``close`` taking 0 to 15 loop turns, and a ``run`` ending 0 to 2 turns
after it began.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from pydantic import BaseModel

from deskline.crypto import SecretBox
from deskline.pbx import base
from deskline.pbx.base import EventSink, OriginateResult
from deskline.runtime.ingestors import IngestorRegistry
from deskline.runtime.supervisor import PbxSupervisor, SupervisorOptions
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import PbxConnectionRepository


class ClosingConfig(BaseModel):
    close_turns: int = 0
    run_end_turns: int = 0


class QuickCloseAdapter:
    """``run`` ends ``run_end_turns`` loop turns after ``close`` starts; the first ``close``
    takes ``close_turns`` turns, later ones return at once (the connection is gone)."""

    kind: ClassVar[str] = "quick-close"
    config_model: ClassVar[type[BaseModel]] = ClosingConfig
    runs: ClassVar[int] = 0

    def __init__(self, config: BaseModel) -> None:
        assert isinstance(config, ClosingConfig)
        self.config = config
        self._closing = asyncio.Event()

    async def run(self, sink: EventSink) -> None:
        QuickCloseAdapter.runs += 1
        await self._closing.wait()
        for _ in range(self.config.run_end_turns):
            await asyncio.sleep(0)

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        return OriginateResult(accepted=True)

    async def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        for _ in range(self.config.close_turns):
            await asyncio.sleep(0)


@pytest.fixture(autouse=True)
def quick_close_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(base._registry, "quick-close", (ClosingConfig, QuickCloseAdapter))


async def test_disabling_stops_the_adapter_for_good(sqlite_db: Database) -> None:
    box = SecretBox(b"supervisor-test-key")
    options = SupervisorOptions(
        backoff_initial_seconds=0.01, backoff_max_seconds=0.02, status_poll_seconds=0.01
    )
    supervisor = PbxSupervisor(sqlite_db, box, IngestorRegistry(sqlite_db), options)
    try:
        for close_turns in range(16):
            for run_end_turns in range(3):
                config = {"close_turns": close_turns, "run_end_turns": run_end_turns}
                QuickCloseAdapter.runs = 0
                async with sqlite_db.transaction() as session:
                    view = await PbxConnectionRepository(session, box).create(
                        name=f"pbx-{close_turns}-{run_end_turns}", kind="quick-close", config=config
                    )
                await supervisor.reload(view.id)
                for _ in range(200):
                    if supervisor.adapter(view.id) is not None:
                        break
                    await asyncio.sleep(0.005)
                async with sqlite_db.transaction() as session:
                    await PbxConnectionRepository(session, box).update(view.id, enabled=False)
                try:
                    await asyncio.wait_for(supervisor.reload(view.id), 2)
                except TimeoutError:
                    pytest.fail(f"disabling hung with {config}")
                await asyncio.sleep(0.03)  # a runner still alive would run the adapter again
                assert QuickCloseAdapter.runs == 1, config
                assert supervisor.adapter(view.id) is None, config
    finally:
        await asyncio.wait_for(supervisor.stop(), 5)
