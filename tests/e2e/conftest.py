"""One installation (emulator + deskline processes, connected and bound) for the e2e session;
each test starts with no faults and the base settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("e2e")
    running = Stack.start(workdir)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def desk(stack: Stack) -> Iterator[Stack]:
    """The shared installation, healthy and on the base settings."""
    stack.zendesk.clear_faults()
    stack.zendesk.stop_storm()
    stack.put_settings()
    yield stack
    stack.zendesk.clear_faults()
    stack.zendesk.stop_storm()
