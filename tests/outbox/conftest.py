"""Helpers for outbox tests: handlers registered for one test only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deskline.outbox import JobHandler, register_handler, unregister_handler


class HandlerRegistry:
    def __init__(self) -> None:
        self.kinds: list[str] = []

    def add(self, kind: str, handler: JobHandler) -> None:
        register_handler(kind, handler, replace=True)
        self.kinds.append(kind)


@pytest.fixture
def handlers() -> Iterator[HandlerRegistry]:
    registry = HandlerRegistry()
    yield registry
    for kind in registry.kinds:
        unregister_handler(kind)
