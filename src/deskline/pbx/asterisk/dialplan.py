"""Reading channel names and contexts the way the configuration describes the dialplan.

:class:`Dialplan` answers the translator's questions: is this channel an extension (which
one) or a trunk (which one)? Is this context where inbound or outbound calls run? What is this
caller id as a number (E.164 or extension) and this Cdr time as an aware datetime?
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from deskline.calls.model import Party
from deskline.pbx.asterisk.config import (
    DEFAULT_AGENT_CHANNEL_PATTERNS,
    DEFAULT_INBOUND_CONTEXTS,
    DEFAULT_OUTBOUND_CONTEXTS,
    DEFAULT_TRUNK_CHANNEL_PATTERNS,
    AsteriskConfig,
)
from deskline.phones import ANONYMOUS, DEFAULT_EXTENSION_PATTERN, NumberNormaliser

_LOCAL_HALF = re.compile(r";[12]$")
_DEVICE_SUFFIX = re.compile(r"-[0-9a-fA-F]+(?:;[12])?$")
_NO_EXTEN = frozenset({"", "s", "h", "i", "t"})


class Dialplan:
    """The configured view of one PBX's dialplan (immutable after construction)."""

    def __init__(
        self,
        *,
        inbound_contexts: Sequence[str] = DEFAULT_INBOUND_CONTEXTS,
        outbound_contexts: Sequence[str] = DEFAULT_OUTBOUND_CONTEXTS,
        agent_channel_patterns: Sequence[str] = DEFAULT_AGENT_CHANNEL_PATTERNS,
        trunk_channel_patterns: Sequence[str] = DEFAULT_TRUNK_CHANNEL_PATTERNS,
        extension_pattern: str = DEFAULT_EXTENSION_PATTERN,
        default_country: str = "US",
        pbx_timezone: str = "UTC",
    ) -> None:
        self.inbound_contexts = tuple(inbound_contexts)
        self.outbound_contexts = tuple(outbound_contexts)
        self._agents = tuple(re.compile(p) for p in agent_channel_patterns)
        self._trunks = tuple(re.compile(p) for p in trunk_channel_patterns)
        self._extension = re.compile(extension_pattern)
        self.numbers = NumberNormaliser(default_country, extension_pattern)
        self.zone = ZoneInfo(pbx_timezone)

    @classmethod
    def from_config(cls, config: AsteriskConfig) -> Dialplan:
        return cls(
            inbound_contexts=config.inbound_contexts,
            outbound_contexts=config.outbound_contexts,
            agent_channel_patterns=config.agent_channel_patterns,
            trunk_channel_patterns=config.trunk_channel_patterns,
            extension_pattern=config.extension_pattern,
            default_country=config.default_country,
            pbx_timezone=config.pbx_timezone,
        )

    def is_extension(self, value: str) -> bool:
        return bool(self._extension.match(value.strip()))

    def extension_of(self, channel: str) -> str | None:
        """The extension whose device (or agent Local channel) this is, if it is one."""
        for pattern in self._agents:
            match = pattern.match(channel)
            if match and self.is_extension(match.group("ext")):
                return match.group("ext")
        return None

    def trunk_of(self, channel: str) -> str | None:
        """The trunk's name if the channel is a trunk channel (never for an extension)."""
        if not channel or self.extension_of(channel) is not None:
            return None
        for pattern in self._trunks:
            match = pattern.match(channel)
            if match:
                named = match.groupdict().get("trunk")
                return named or _DEVICE_SUFFIX.sub("", channel.partition("/")[2]) or channel
        return None

    def is_inbound_context(self, context: str) -> bool:
        return any(fnmatchcase(context, pattern) for pattern in self.inbound_contexts)

    def is_outbound_context(self, context: str) -> bool:
        return any(fnmatchcase(context, pattern) for pattern in self.outbound_contexts)

    def is_dialled_number(self, exten: str) -> bool:
        """An Exten that is a number someone dialled (not ``s``/``h``, not an extension)."""
        return exten not in _NO_EXTEN and not self.is_extension(exten)

    def party(self, number: str | None, name: str | None = None) -> Party:
        """A caller/callee from AMI caller id fields (``<unknown>`` becomes nothing)."""
        phone = self.numbers.normalise(number)
        clean_name = (name or "").strip()
        return Party(
            number=phone.value,
            raw=phone.raw or None,
            name=None if clean_name.lower() in ANONYMOUS else clean_name,
            is_extension=phone.is_extension,
        )

    def local_time(self, value: str) -> datetime | None:
        """A Cdr time (``YYYY-MM-DD HH:MM:SS`` in the PBX's zone); empty or bad gives None."""
        try:
            return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=self.zone)
        except ValueError:
            return None


def channel_base(channel: str) -> str:
    """A Local channel without its ``;1``/``;2`` half: both halves are one leg."""
    return _LOCAL_HALF.sub("", channel)
