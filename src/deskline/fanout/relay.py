"""Screen pops across processes through Redis pub/sub (F7 with several ``deskline serve``).

Every process that decides pops (a ``serve`` ingesting a call, a ``worker`` running a lookup
job) publishes them on one channel; every ``serve`` process subscribes and hands each pop to
its :class:`~deskline.pipeline.screen_pop.PopHub`. **The rule**: a process delivers a pop only
if the agent has a connection open on it *and* it wins the pop's claim — an atomic
``SET <claim> NX`` in Redis, one per (call, agent), kept ``claim_ttl_seconds`` — and then
delivers to its own most recently active connection of that agent. So one pop per call per
agent holds across tabs and processes; with tabs on several processes, the first process to
claim wins (not necessarily the tab used last).

**Without Redis** (unreachable, or not yet subscribed) a pop is delivered in-process, as if
there were one process; the subscriber keeps reconnecting and the relay switches back when
Redis answers. Each switch is logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from deskline.fanout.availability import Availability
from deskline.pipeline.screen_pop import PopHub

log = logging.getLogger(__name__)

_UNAVAILABLE = (RedisError, OSError, asyncio.TimeoutError)


@dataclass(frozen=True)
class FanoutOptions:
    """Names and timings of the fan-out (tests use their own channel and short pauses)."""

    channel: str = "deskline:pops"
    claim_prefix: str = "deskline:pop-claim"
    claim_ttl_seconds: float = 6 * 3600
    timeout_seconds: float = 0.5
    """How long one Redis command may take before Redis counts as unavailable."""
    reconnect_seconds: float = 1.0
    """Pause before the subscriber connects again after losing Redis."""
    poll_seconds: float = 1.0


def _client(url: str, timeout: float | None, connect_timeout: float) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=connect_timeout,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RedisPopRelay:
    """A :class:`~deskline.pipeline.screen_pop.PopRelay` over Redis pub/sub.

    ::

        relay = RedisPopRelay(settings.redis_url)          # subscribe=False in a worker
        hub = PopHub(relay=relay)
        await relay.start(hub)
        ...
        await relay.aclose()
    """

    def __init__(
        self,
        url: str,
        options: FanoutOptions | None = None,
        *,
        subscribe: bool = True,
        name: str | None = None,
    ) -> None:
        self.options = options or FanoutOptions()
        self.name = name or process_name()
        self.subscribe = subscribe
        timeout = self.options.timeout_seconds
        self._commands = _client(url, timeout, timeout)
        self._subscriber_client = _client(url, None, timeout)
        self._hub: PopHub | None = None
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._closing = asyncio.Event()
        self._next_probe = 0.0
        self._availability = Availability(
            log,
            "pop fan-out: Redis is unavailable (%s); screen pops are delivered in-process "
            "until it returns",
            "pop fan-out: Redis is back; screen pops reach every process again",
        )

    def __repr__(self) -> str:
        state = "shared" if self.ready else "in-process"
        return f"RedisPopRelay({self.options.channel!r}, {state})"

    @property
    def ready(self) -> bool:
        """Pops can go through Redis now."""
        return self.available and (self._subscribed.is_set() or not self.subscribe)

    async def start(self, hub: PopHub) -> None:
        """Deliver the pops published by any process to ``hub`` (when subscribing)."""
        self._hub = hub
        if self.subscribe and self._task is None:
            self._task = asyncio.create_task(self._listen(), name="pop-fanout")

    async def wait_subscribed(self, seconds: float) -> bool:
        """Wait until the subscriber listens (tests, start-up); False after ``seconds``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), seconds)
        return self._subscribed.is_set()

    async def aclose(self) -> None:
        self._closing.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for client in (self._commands, self._subscriber_client):
            with contextlib.suppress(Exception):
                await client.aclose()

    # --- PopRelay ----------------------------------------------------------------------------

    async def publish(self, claim: str, message: dict[str, Any]) -> bool:
        if not self.available:
            await self._probe()
        if not self.ready:
            return False
        envelope = json.dumps({"claim": claim, "message": message, "origin": self.name})
        try:
            receivers = int(await self._commands.publish(self.options.channel, envelope))
        except _UNAVAILABLE as exc:
            self._lost(exc)
            return False
        return receivers > 0

    async def claim(self, claim: str) -> bool:
        key = f"{self.options.claim_prefix}:{claim}"
        ttl_ms = int(self.options.claim_ttl_seconds * 1000)
        try:
            won = await self._commands.set(key, self.name, nx=True, px=ttl_ms)
        except _UNAVAILABLE as exc:
            self._lost(exc)
            return True  # nobody can coordinate now: deliver rather than lose the pop
        return bool(won)

    # --- the subscriber ----------------------------------------------------------------------

    async def _listen(self) -> None:
        while not self._closing.is_set():
            pubsub = self._subscriber_client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.options.channel)
                self._subscribed.set()
                self._back()
                while not self._closing.is_set():
                    message = await pubsub.get_message(timeout=self.options.poll_seconds)
                    if message is not None:
                        await self._on_message(message.get("data"))
                    elif not self.available:
                        await self._probe()
            except _UNAVAILABLE as exc:
                self._subscribed.clear()
                self._lost(exc)
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.options.reconnect_seconds)

    async def _on_message(self, data: object) -> None:
        try:
            envelope = json.loads(data) if isinstance(data, str | bytes) else None
            claim, message = envelope["claim"], envelope["message"]  # type: ignore[index]
            if not isinstance(claim, str) or not isinstance(message, dict):
                raise TypeError("claim must be a string and message an object")
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("pop fan-out: ignoring a malformed message (%s)", exc)
            return
        if self._hub is None:
            return
        try:
            await self._hub.deliver(claim, message)
        except Exception:  # one bad delivery must not stop the subscriber
            log.exception("pop fan-out: delivering %s failed", claim)

    # --- availability ------------------------------------------------------------------------

    async def _probe(self) -> None:
        """While unavailable, ask Redis again at most every ``reconnect_seconds``."""
        now = time.monotonic()
        if now < self._next_probe:
            return
        self._next_probe = now + self.options.reconnect_seconds
        try:
            await self._commands.ping()
        except _UNAVAILABLE:
            return
        self._back()

    def _lost(self, exc: BaseException) -> None:
        self._next_probe = time.monotonic() + self.options.reconnect_seconds
        self._availability.lost(exc)

    def _back(self) -> None:
        self._availability.back()

    @property
    def available(self) -> bool:
        """False while Redis is unreachable (pops are then delivered in-process)."""
        return self._availability.available
