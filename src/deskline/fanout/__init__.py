"""Screen pops fanned out to every serving process through Redis (see :mod:`.relay`)."""

from deskline.fanout.relay import FanoutOptions, RedisPopRelay

__all__ = ["FanoutOptions", "RedisPopRelay"]
