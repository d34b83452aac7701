"""Redis first, the database when Redis cannot take a pop (:class:`FallbackPopRelay`).

With ``DESKLINE_REDIS_URL`` set and the outbox worker in separate processes, each process
relays pops through Redis (:mod:`.relay`) and, when Redis is unreachable or no ``serve``
is subscribed, through the database (:mod:`.stored`): a worker's pop is then stored, and the
``serve`` processes, which read the table as well, deliver it. A claim goes where its pop
came from: the database's for stored pops, Redis's for the others.
"""

from __future__ import annotations

from typing import Any

from deskline.fanout.relay import FanoutOptions, RedisPopRelay
from deskline.fanout.stored import StoredPopRelay, StoredRelayOptions
from deskline.pipeline.screen_pop import PopHub
from deskline.store.db import Database


class FallbackPopRelay:
    """A :class:`~deskline.pipeline.screen_pop.PopRelay`: ``primary`` (Redis), and
    ``fallback`` (the database) for what the primary cannot take."""

    def __init__(self, primary: RedisPopRelay, fallback: StoredPopRelay) -> None:
        self.primary = primary
        self.fallback = fallback

    def __repr__(self) -> str:
        return f"FallbackPopRelay({self.primary!r}, {self.fallback!r})"

    @property
    def ready(self) -> bool:
        """Pops can cross processes now (through either)."""
        return self.primary.ready or self.fallback.ready

    async def start(self, hub: PopHub) -> None:
        await self.primary.start(hub)
        await self.fallback.start(hub)

    async def aclose(self) -> None:
        await self.primary.aclose()
        await self.fallback.aclose()

    async def publish(self, claim: str, message: dict[str, Any]) -> bool:
        if await self.primary.publish(claim, message):
            return True
        return await self.fallback.publish(claim, message)

    async def claim(self, claim: str) -> bool:
        if self.fallback.relayed(claim):
            return await self.fallback.claim(claim)
        return await self.primary.claim(claim)


def pop_relay(
    db: Database,
    redis_url: str | None,
    *,
    subscribe: bool,
    catch_up_seconds: float = 60.0,
    fanout: FanoutOptions | None = None,
    stored: StoredRelayOptions | None = None,
) -> FallbackPopRelay | StoredPopRelay:
    """The relay of a process: Redis first and the database after it when Redis is
    configured, else the database alone. ``subscribe``: a ``serve`` (delivers pops), not a
    worker (only stores them)."""
    database = StoredPopRelay(db, stored, subscribe=subscribe, catch_up_seconds=catch_up_seconds)
    if not redis_url:
        return database
    return FallbackPopRelay(RedisPopRelay(redis_url, fanout, subscribe=subscribe), database)
