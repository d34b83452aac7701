"""Screen pops to agents' browsers (F7): per-agent WebSocket connections, one pop per call.

The :class:`PopHub` keeps, per extension, the agent's open connections (one per browser tab).
A pop goes to ONE connection — the most recently active one (the last to connect or to send
something) — and each (call, extension) is popped at most once, whichever trigger asks first,
so an agent with three tabs open gets one new tab per call, not three.

The message (docs/screen-pop.md)::

    {"type": "pop", "call_id": "<source>:<pbx call id>", "trigger": "ringing",
     "extension": "2005", "contact": {"id", "name", "numbers", "url", …} | null,
     "url": "<the contact's page in the helpdesk>" | null}

The hub lives in the serving process. With a :class:`PopRelay` (the Redis fan-out of
:mod:`deskline.fanout`), a pop decided in any process is published to every serving process,
and the one that wins the pop's claim delivers it to its most recently active connection of the
agent (docs/operations.md, "Screen pops across processes"); without a relay, or while the relay
is unavailable, pops are delivered in-process as before.

A pop for an agent with no open connection is **held** for ``hold_seconds`` (the console was
closed, or is reconnecting): the agent's next connection gets it (:meth:`PopHub.catch_up`),
still once per call. With a relay every process holds what it could not deliver, and the claim
decides which one delivers when the agent connects.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from deskline.pipeline.contact_index import IndexedContact

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
REMEMBERED_POPS = 10_000
HOLD_SECONDS = 60.0
#: held pops kept per agent (the newest), and agents with held pops (the most recent)
HELD_PER_AGENT = 8
HELD_AGENTS = 10_000


class PopTrigger:
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"
    MANUAL = "manual"
    ALL = frozenset({RINGING, ANSWERED, ENDED})


def pop_message(
    call_key: str, trigger: str, extension: str, contact: IndexedContact | None
) -> dict[str, Any]:
    """The documented pop message."""
    return {
        "type": "pop",
        "call_id": call_key,
        "trigger": trigger,
        "extension": extension,
        "contact": contact.to_message() if contact else None,
        "url": contact.popup_url if contact else None,
    }


def pop_claim(call_key: str, extension: str) -> str:
    """The claim that makes a (call, agent) pop happen once across processes."""
    return f"pop:{call_key}:{extension}"


class PopRelay(Protocol):
    """Carries pops to the process holding the agent's connection (see :mod:`deskline.fanout`)."""

    async def publish(self, claim: str, message: dict[str, Any]) -> bool:
        """Hand the pop to every serving process; False: not possible now (deliver locally)."""
        ...

    async def claim(self, claim: str) -> bool:
        """Win the right to deliver ``claim`` (True also when claims cannot be checked)."""
        ...


@dataclass(frozen=True)
class HeldPop:
    """A pop no connection of the agent could take, kept for the agent's next connection."""

    claim: str
    message: dict[str, Any]
    until: float


@dataclass(eq=False)
class AgentConnection:
    """One open WebSocket of an agent."""

    extension: str
    send: Send = field(repr=False)
    number: int = 0
    last_active: int = 0


class PopHub:
    """The agents' open connections and the pops already sent."""

    def __init__(
        self,
        remembered: int = REMEMBERED_POPS,
        relay: PopRelay | None = None,
        *,
        hold_seconds: float = HOLD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.relay = relay
        self.hold_seconds = hold_seconds
        self._clock = clock
        self._connections: dict[str, list[AgentConnection]] = {}
        self._popped: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._held: OrderedDict[str, dict[str, HeldPop]] = OrderedDict()
        self._remembered = remembered
        self._ticks = itertools.count(1)
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return (
            f"PopHub(agents={len(self._connections)}, pops={len(self._popped)}, "
            f"held={sum(len(h) for h in self._held.values())})"
        )

    # --- connections -------------------------------------------------------------------------

    def connect(self, extension: str, send: Send) -> AgentConnection:
        tick = next(self._ticks)
        connection = AgentConnection(extension, send, tick, tick)
        self._connections.setdefault(extension, []).append(connection)
        return connection

    def disconnect(self, connection: AgentConnection) -> None:
        known = self._connections.get(connection.extension, [])
        if connection in known:
            known.remove(connection)
        if not known:
            self._connections.pop(connection.extension, None)

    def touch(self, connection: AgentConnection) -> None:
        """The agent used this connection: it receives the next pops."""
        connection.last_active = next(self._ticks)

    def connected(self, extension: str) -> int:
        return len(self._connections.get(extension, []))

    def was_popped(self, call_key: str, extension: str) -> bool:
        return (call_key, extension) in self._popped

    def held(self, extension: str) -> list[dict[str, Any]]:
        """The pops held for the agent's next connection (oldest first, fresh ones only)."""
        now = self._clock()
        return [h.message for h in self._held.get(extension, {}).values() if h.until > now]

    async def catch_up(self, connection: AgentConnection) -> int:
        """Send a new connection the pops held for its agent; returns how many it got.

        Each goes out once per call, like any pop: a pop another connection (or, with a
        relay, another process) delivered meanwhile is dropped, not sent again."""
        sent = 0
        async with self._lock:
            held = self._held.pop(connection.extension, {})
            now = self._clock()
            for pop in held.values():
                call_key = str(pop.message.get("call_id", ""))
                if pop.until <= now or (call_key, connection.extension) in self._popped:
                    continue
                if self.relay is not None and not await self.relay.claim(pop.claim):
                    continue
                try:
                    await connection.send(pop.message)
                except Exception:
                    log.info("held pop to %s: the new connection is gone", connection.extension)
                    self.disconnect(connection)
                    self._held[connection.extension] = held  # for the next connection
                    return sent
                self._remember(call_key, connection.extension, pop.message)
                sent += 1
        return sent

    # --- pops --------------------------------------------------------------------------------

    async def pop(
        self, call_key: str, trigger: str, extension: str, contact: IndexedContact | None
    ) -> bool:
        """Pop the call on the agent's most recently active connection, once per call.

        Returns False when it was popped before or the agent has no open connection."""
        async with self._lock:
            if (call_key, extension) in self._popped:
                return False
            message = pop_message(call_key, trigger, extension, contact)
            claim = pop_claim(call_key, extension)
            if not await self._route(claim, extension, message):
                self._hold(extension, claim, message)
                return False
            self._remember(call_key, extension, message)
            return True

    async def notify(
        self, call_key: str, trigger: str, extension: str, contact: IndexedContact | None
    ) -> bool:
        """Send a pop the agent asked for (manual open, created contact): not deduplicated."""
        async with self._lock:
            message = pop_message(call_key, trigger, extension, contact)
            claim = f"notify:{uuid.uuid4().hex}"
            sent = await self._route(claim, extension, message)
            if sent:
                self._remember(call_key, extension, message)
            return sent

    async def deliver(self, claim: str, message: dict[str, Any]) -> bool:
        """A pop published by some process (the relay's subscriber calls this): delivered
        here when the agent has a connection here and this process wins the claim."""
        extension = str(message.get("extension", ""))
        async with self._lock:
            if not self._connections.get(extension):
                if claim.startswith("pop:"):  # automatic pops wait for the agent's console
                    self._hold(extension, claim, message)
                return False
            if self.relay is not None and not await self.relay.claim(claim):
                return False
            if not await self._send_to_latest(extension, message):
                return False
            call_key = str(message.get("call_id", ""))
            self._remember(call_key, extension, message)
            return True

    async def _route(self, claim: str, extension: str, message: dict[str, Any]) -> bool:
        """Through the relay when it can take the pop, else to this process's connections."""
        if self.relay is not None:
            if await self.relay.publish(claim, message):
                return True
            if not self._connections.get(extension) or not await self.relay.claim(claim):
                return False
        return await self._send_to_latest(extension, message)

    async def _send_to_latest(self, extension: str, message: dict[str, Any]) -> bool:
        candidates = sorted(
            self._connections.get(extension, []), key=lambda c: c.last_active, reverse=True
        )
        for connection in candidates:
            try:
                await connection.send(message)
            except Exception:  # a closed tab: try the next one, forget this one
                log.info("pop to %s: connection %s is gone", extension, connection.number)
                self.disconnect(connection)
                continue
            return True
        return False

    def _hold(self, extension: str, claim: str, message: dict[str, Any]) -> None:
        if self.hold_seconds <= 0:
            return
        now = self._clock()
        held = self._held.pop(extension, {})
        held = {c: h for c, h in held.items() if h.until > now and c != claim}
        held[claim] = HeldPop(claim, message, now + self.hold_seconds)
        while len(held) > HELD_PER_AGENT:
            del held[next(iter(held))]
        self._held[extension] = held  # the most recent agent last
        while len(self._held) > HELD_AGENTS:
            self._held.popitem(last=False)

    def _remember(self, call_key: str, extension: str, message: dict[str, Any]) -> None:
        self._popped[(call_key, extension)] = message
        while len(self._popped) > self._remembered:
            self._popped.popitem(last=False)
