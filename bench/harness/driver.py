"""Calls driven into deskline over HTTP like a PBX does it, and agents' screen-pop sockets.

Each call posts its ``ring`` at once (the pop trigger), then, after ``ring + talk`` seconds,
the rest of the call (answer, hang-ups, CDR) as one batch — a PBX reporting the ring live and
the call's end in one webhook. Deliveries are retried on network errors and 5xx answers (as
docs/pbx-webhook.md tells a PBX to) for up to ``retry_for`` seconds; events carry ids, so a
retried delivery is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from bench.harness.calls import PlannedCall
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from deskline.pbx.simulator.scenario import CallScenario, build_steps


@dataclass
class DrivenCall:
    planned: PlannedCall
    call_id: str
    ring_sent_at: float | None = None
    """``time.perf_counter()`` just before the ring was posted."""
    ring_wall_time: float | None = None
    """``time.time()`` at the same moment."""
    delivered: bool = False
    retries: int = 0
    error: str | None = None

    @property
    def call_key(self) -> str:
        return f"simulator:{self.call_id}"


@dataclass
class DriverStats:
    posts: int = 0
    retries: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


class CallDriver:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        ring_seconds: float = 0.2,
        talk_seconds: float = 0.3,
        retry_for: float = 180.0,
    ) -> None:
        self.url = url
        self.token = token
        self.ring_seconds = ring_seconds
        self.talk_seconds = talk_seconds
        self.retry_for = retry_for
        self.stats = DriverStats()

    def __repr__(self) -> str:
        return f"CallDriver({self.url!r})"

    def ceiling(self, concurrency: int) -> float:
        """The most calls per second ``concurrency`` calls in flight can offer: each holds its
        slot at least ring + talk seconds (and its two posts)."""
        return round(concurrency / (self.ring_seconds + self.talk_seconds), 1)

    async def run(
        self,
        calls: Sequence[PlannedCall],
        *,
        concurrency: int = 50,
        rate: float | None = None,
    ) -> list[DrivenCall]:
        """Place every call: ``rate`` calls per second, or as fast as ``concurrency`` allows."""
        driven = [DrivenCall(planned, "") for planned in calls]
        limit = asyncio.Semaphore(concurrency)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        # aiohttp, not httpx: the driver shares the machine's cores with deskline, and httpx
        # cost it about three times the CPU per post (docs/benchmarks.md)
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        async with aiohttp.ClientSession(
            headers=headers, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        ) as client:
            started = time.perf_counter()
            tasks = []
            for n, call in enumerate(driven):
                if rate is not None:
                    delay = started + n / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self._place(client, call, limit)))
            await asyncio.gather(*tasks)
        return driven

    async def _place(
        self, client: aiohttp.ClientSession, call: DrivenCall, limit: asyncio.Semaphore
    ) -> None:
        async with limit:
            scenario = CallScenario(
                caller=call.planned.number,
                callee=call.planned.extension,
                answer_after=self.ring_seconds,
                talk=self.talk_seconds,
            )
            call.call_id = scenario.call_id
            steps = build_steps(scenario, datetime.now(UTC))
            try:
                call.ring_sent_at = time.perf_counter()
                call.ring_wall_time = time.time()
                await self._deliver(client, steps[0].event, call)
                await asyncio.sleep(self.ring_seconds + self.talk_seconds)
                await self._deliver(client, {"events": [s.event for s in steps[1:]]}, call)
                call.delivered = True
            except DeliveryFailed as exc:
                call.error = str(exc)

    async def _deliver(
        self, client: aiohttp.ClientSession, body: dict[str, Any], call: DrivenCall
    ) -> None:
        deadline = time.monotonic() + self.retry_for
        pause = 0.2
        payload = json.dumps(body).encode()
        while True:
            self.stats.posts += 1
            code: int | None = None
            text = ""
            try:
                async with client.post(self.url, data=payload) as answer:
                    code, text = answer.status, await answer.text()
                status = str(code)
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = type(exc).__name__
            self.stats.statuses[status] += 1
            if code is not None and code < 300:
                return
            if code is not None and code < 500:
                raise DeliveryFailed(f"{code}: {text[:200]}")
            if time.monotonic() + pause > deadline:
                raise DeliveryFailed(f"still {status} after {self.retry_for:.0f} s of retries")
            call.retries += 1
            self.stats.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)


class DeliveryFailed(Exception):
    pass


class AgentConsoles:
    """Every agent's screen-pop WebSocket, read in this event loop; the first pop of each call
    is timestamped with ``time.perf_counter()``."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.first_pop: dict[str, float] = {}
        self.pops: Counter[str] = Counter()
        self._stack = contextlib.AsyncExitStack()
        self._readers: list[asyncio.Task[None]] = []

    def __repr__(self) -> str:
        return f"AgentConsoles({sorted(self.urls)})"

    async def __aenter__(self) -> AgentConsoles:
        for url in self.urls.values():
            socket = await self._stack.enter_async_context(
                connect(url, open_timeout=10, close_timeout=2, max_queue=None)
            )
            hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if hello.get("type") != "hello":
                raise RuntimeError(f"the agent socket greeted with {hello!r}")
            self._readers.append(asyncio.create_task(self._read(socket)))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        await self._stack.aclose()

    async def _read(self, socket: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in socket:
                at = time.perf_counter()
                message = json.loads(raw)
                if message.get("type") == "pop":
                    key = str(message.get("call_id"))
                    self.pops[key] += 1
                    self.first_pop.setdefault(key, at)

    async def wait_for_pops(self, keys: Sequence[str], seconds: float) -> None:
        """Until every key has popped, or ``seconds`` are over."""
        for _ in range(max(1, round(seconds / 0.05))):
            if all(k in self.first_pop for k in keys):
                return
            await asyncio.sleep(0.05)
