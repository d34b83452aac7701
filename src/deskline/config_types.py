"""Field types shared by deskline's settings and the PBX config models."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def _region(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValueError("must be a two-letter region code such as US or DE")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


RegionCode = Annotated[str, AfterValidator(_region)]
"""A two-letter region (country) code, upper-cased: the default country of phone numbers."""

TimeZoneName = Annotated[str, AfterValidator(_zone)]
"""An IANA time zone name, such as ``Europe/Berlin``."""
