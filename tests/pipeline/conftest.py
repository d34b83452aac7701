"""Pipeline tests: a Zendesk emulator per module (manual clock) and a connected desk per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deskline.store.db import Database
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import zendesk, zendesk_server  # noqa: F401
from tests.pipeline.harness import Desk, connect_desk


@pytest.fixture
async def desk(
    sqlite_db: Database,
    tmp_path: Path,
    zendesk: RunningEmulator,  # noqa: F811
) -> AsyncIterator[Desk]:
    connected = await connect_desk(sqlite_db, tmp_path, zendesk)
    try:
        yield connected
    finally:
        await connected.pipeline.provider.aclose()
