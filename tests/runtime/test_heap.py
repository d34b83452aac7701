"""The long-running commands freeze their start-up heap and collect young objects less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from deskline.runtime.heap import YOUNG_THRESHOLD, settle_startup_heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_objects_leave_the_collected_generations(restored_gc: None) -> None:
    survivor = [{"start-up": n} for n in range(1000)]
    frozen = settle_startup_heap()
    assert frozen == gc.get_freeze_count() > len(survivor)
    collected = {id(obj) for generation in range(3) for obj in gc.get_objects(generation)}
    assert not any(id(obj) in collected for obj in survivor)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
