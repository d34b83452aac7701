"""Plays scenario steps in real time: each step is delivered when its offset is reached."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from deskline.pbx.simulator.scenario import Step

Deliver = Callable[[Step], Awaitable[None]]


async def play(
    steps: Sequence[Step],
    deliver: Deliver,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Deliver every step at its offset from now (late steps go at once, in order)."""
    start = clock()
    for step in steps:
        delay = start + step.offset - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        await deliver(step)
