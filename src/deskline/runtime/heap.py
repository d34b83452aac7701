"""The garbage collector's settings for the long-running commands (``serve``, ``worker``).

CPython's full (generation 2) collection walks every container object in the process. After
start-up that is ~200,000 objects — modules, SQLAlchemy's mappers, FastAPI's routes, pydantic's
validators — none of which ever becomes garbage, and bench/ measured each full collection at
100-150 ms with the event loop stopped: every screen pop in flight waited for it (the p99 of
the ring-to-pop latency). Moving them to the permanent generation once start-up is done
(:func:`gc.freeze`) leaves full collections only the objects made since, and a larger young
generation threshold makes young collections rarer (each call allocates thousands of
short-lived containers: ORM rows, request objects).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations (minus deallocations) between two young collections (CPython's default: 700)."""


def settle_startup_heap() -> int:
    """Collect what start-up left behind and freeze the rest; returns the frozen count."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)
    return gc.get_freeze_count()
