"""The event loop the long-running commands (``serve``, ``worker``) run on.

uvloop (installed with deskline on Linux and macOS) when it is there: the same asyncio
semantics, with a faster loop — webhook requests, WebSocket pops, helpdesk requests and (on
PostgreSQL) every statement go through it, and its own cost showed in the profiles (bench/).
The standard loop otherwise, or with ``DESKLINE_EVENT_LOOP=asyncio``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None for asyncio's own loop."""
    if os.environ.get("DESKLINE_EVENT_LOOP", "").lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """Like :func:`asyncio.run`, on the loop :func:`loop_factory` picks."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
