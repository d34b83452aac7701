"""Screen pops fanned out to every serving process: through Redis (:mod:`.relay`) or, without
Redis, through the database (:mod:`.stored`)."""

from deskline.fanout.relay import FanoutOptions, RedisPopRelay
from deskline.fanout.stored import StoredPopRelay, StoredRelayOptions

__all__ = ["FanoutOptions", "RedisPopRelay", "StoredPopRelay", "StoredRelayOptions"]
