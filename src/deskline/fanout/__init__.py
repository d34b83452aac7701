"""Screen pops fanned out to every serving process: through Redis (:mod:`.relay`), through the
database (:mod:`.stored`), or Redis first and the database when it cannot (:mod:`.fallback`)."""

from deskline.fanout.fallback import FallbackPopRelay, pop_relay
from deskline.fanout.relay import FanoutOptions, RedisPopRelay
from deskline.fanout.stored import StoredPopRelay, StoredRelayOptions

AnyPopRelay = RedisPopRelay | StoredPopRelay | FallbackPopRelay
"""The relays a process may run (each has ``start``, ``aclose`` and ``ready``)."""

__all__ = [
    "AnyPopRelay",
    "FallbackPopRelay",
    "FanoutOptions",
    "RedisPopRelay",
    "StoredPopRelay",
    "StoredRelayOptions",
    "pop_relay",
]
