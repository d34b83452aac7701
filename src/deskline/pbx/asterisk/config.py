"""How deskline reaches one Asterisk and reads its dialplan (pydantic; drives the admin form).

Which calls are external is configuration, not guesswork: a call is **inbound** when one of
its channels runs in an inbound context (or the call's first channel is a trunk channel),
**outbound** when a channel enters an outbound context with a number that is not an
extension (or dials a trunk channel), and **internal** when an extension's device rings
another extension. Contexts are shell-style patterns (``outrt-*``); channel patterns are
regular expressions: agent patterns name the extension in a group ``ext``, trunk patterns
may name the trunk in a group ``trunk``. A channel that matches an agent pattern with a
valid extension is an agent channel, even if it also matches a trunk pattern.

The defaults fit FreePBX-style dialplans and the test PBX of the reference captures.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from deskline.config_types import RegionCode, TimeZoneName
from deskline.phones import DEFAULT_EXTENSION_PATTERN

DEFAULT_INBOUND_CONTEXTS = [
    "from-trunk",
    "from-trunk-*",
    "from-pstn",
    "from-pstn-*",
    "from-did-direct",
    "ext-did",
    "ext-did-*",
    "from-external",
]
DEFAULT_OUTBOUND_CONTEXTS = ["outbound-allroutes", "outrt-*", "macro-dialout-trunk", "outbound"]
DEFAULT_AGENT_CHANNEL_PATTERNS = [
    r"^(?:PJSIP|SIP|IAX2)/(?P<ext>[^-/@;]+)(?:-[0-9a-fA-F]+)?$",
    r"^Local/(?P<ext>[^@/;]+)@(?:agents|from-queue|from-internal|from-internal-xfer|ext-local)"
    r"(?:-[0-9a-fA-F]+;[12]|/n)?$",
]
DEFAULT_TRUNK_CHANNEL_PATTERNS = [
    r"^(?:PJSIP|SIP|IAX2)/(?P<trunk>[^/@;]+)-[0-9a-fA-F]+$",
    r"^DAHDI/(?P<trunk>[^-]+)-\d+$",
]


class AsteriskConfig(BaseModel):
    """One Asterisk Manager Interface connection."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="AMI host name or address.")
    port: int = Field(default=5038, ge=1, le=65535, description="AMI TCP port.")
    username: str = Field(min_length=1, description="AMI user (manager.conf).")
    secret: SecretStr = Field(description="AMI secret.")
    inbound_contexts: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INBOUND_CONTEXTS),
        description="Contexts where calls from trunks start (patterns such as ext-did-*).",
    )
    outbound_contexts: list[str] = Field(
        default_factory=lambda: list(DEFAULT_OUTBOUND_CONTEXTS),
        description="Contexts where calls to external numbers are routed.",
    )
    agent_channel_patterns: list[str] = Field(
        default_factory=lambda: list(DEFAULT_AGENT_CHANNEL_PATTERNS),
        description="Regexes of extension channels, with the extension in a group named ext.",
    )
    trunk_channel_patterns: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TRUNK_CHANNEL_PATTERNS),
        description="Regexes of trunk channels; an optional group named trunk is its name.",
    )
    extension_pattern: str = Field(
        default=DEFAULT_EXTENSION_PATTERN, description="What an internal extension looks like."
    )
    originate_channel: str = Field(
        default="PJSIP/{extension}",
        description="Channel rung first for click-to-call, e.g. Local/{extension}@agents/n.",
    )
    originate_context: str = Field(
        default="from-internal", description="Context that dials the customer's number."
    )
    originate_caller_id: str | None = Field(
        default="{number}", description="Caller id shown on the agent's phone ({number})."
    )
    originate_timeout_seconds: float = Field(default=30, gt=0, le=600)
    default_country: RegionCode = Field(default="US", description="Region for numbers without a +.")
    pbx_timezone: TimeZoneName = Field(
        default="UTC", description="Time zone of the Cdr local times."
    )
    recordings_dir: Path | None = Field(
        default=None,
        description="Where deskline reads MixMonitor recordings (the PBX's monitor directory, "
        "mounted or shared); empty: recordings are not available.",
    )
    recordings_pbx_dir: str = Field(
        default="/var/spool/asterisk/monitor",
        description="The same directory as the PBX names it in MIXMONITOR_FILENAME.",
    )
    connect_timeout_seconds: float = Field(default=10, gt=0)
    action_timeout_seconds: float = Field(default=10, gt=0)
    ping_interval_seconds: float = Field(default=20, gt=0)
    ping_timeout_seconds: float = Field(default=10, gt=0)
    reconnect_initial_seconds: float = Field(default=1, gt=0)
    reconnect_max_seconds: float = Field(default=60, gt=0)

    @field_validator("agent_channel_patterns")
    @classmethod
    def _agent_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if "ext" not in _compile(pattern).groupindex:
                raise ValueError(f"agent channel pattern {pattern!r} needs a group named ext")
        return patterns

    @field_validator("trunk_channel_patterns")
    @classmethod
    def _trunk_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            _compile(pattern)
        return patterns

    @field_validator("extension_pattern")
    @classmethod
    def _extension_pattern(cls, pattern: str) -> str:
        _compile(pattern)
        return pattern

    @field_validator("originate_channel")
    @classmethod
    def _originate_channel(cls, value: str) -> str:
        if "{extension}" not in value:
            raise ValueError("originate_channel must contain {extension}")
        return value


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
