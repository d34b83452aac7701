"""Phone numbers that match (F27): E.164 normalisation, extensions, and search variants.

Numbers are normalised with a configurable default country and the original is kept. Short
internal numbers (matching the extension pattern) stay extensions and are never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

DEFAULT_EXTENSION_PATTERN = r"^\d{2,6}$"
ANONYMOUS = frozenset(
    {"", "anonymous", "unknown", "<unknown>", "restricted", "private", "unavailable"}
)
_DIGITS = re.compile(r"\d+")
REMEMBERED_NUMBERS = 4096
"""Numbers whose normal form and variants a normaliser keeps (a call's number is normalised
by each step that handles it: the ring, the index, the jobs; parsing costs ~40 µs)."""


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A number as the PBX gave it (``raw``) and as deskline compares it (``e164``)."""

    raw: str
    e164: str | None
    is_extension: bool = False

    @property
    def value(self) -> str | None:
        """What deskline stores and shows: the extension, the E.164 form, or the digits."""
        if self.is_extension:
            return self.raw
        return self.e164 or digits_of(self.raw) or None

    @property
    def is_anonymous(self) -> bool:
        return self.raw.strip().lower() in ANONYMOUS


def digits_of(value: str) -> str:
    return "".join(_DIGITS.findall(value))


class NumberNormaliser:
    """Turns PBX numbers into E.164 or extensions, with one default country."""

    def __init__(
        self, default_country: str = "US", extension_pattern: str = DEFAULT_EXTENSION_PATTERN
    ) -> None:
        self.default_country = default_country.upper()
        self._extension = re.compile(extension_pattern)
        self._normalised = lru_cache(maxsize=REMEMBERED_NUMBERS)(self._normalise)
        self._variants = lru_cache(maxsize=REMEMBERED_NUMBERS)(self._variants_of)

    def is_extension(self, raw: str) -> bool:
        return bool(self._extension.match(raw.strip()))

    def normalise(self, raw: str | None) -> PhoneNumber:
        return self._normalised(raw or "")

    def _normalise(self, raw: str) -> PhoneNumber:
        text = raw.strip()
        if not text or text.lower() in ANONYMOUS:
            return PhoneNumber(raw=text, e164=None)
        if self.is_extension(text):
            return PhoneNumber(raw=text, e164=None, is_extension=True)
        return PhoneNumber(raw=text, e164=self.to_e164(text))

    def to_e164(self, raw: str) -> str | None:
        text = raw.strip()
        if text.startswith("00"):
            text = "+" + text[2:]
        try:
            parsed = phonenumbers.parse(
                text, None if text.startswith("+") else self.default_country
            )
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(parsed):
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def variants(self, raw: str) -> list[str]:
        """Forms a helpdesk may have stored a number in: E.164, national, digits, without +."""
        return list(self._variants(raw))

    def _variants_of(self, raw: str) -> tuple[str, ...]:
        number = self.normalise(raw)
        out: list[str] = []
        if number.is_extension:
            return (number.raw,)
        if number.e164:
            parsed = phonenumbers.parse(number.e164)
            national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
            out += [number.e164, number.e164.lstrip("+"), national, digits_of(national)]
        out.append(digits_of(number.raw))
        return tuple(dict.fromkeys(v for v in out if v))


def last_digits(value: str, count: int = 7) -> str:
    """The last ``count`` digits, the fallback key when no normalised form matches."""
    return digits_of(value)[-count:]


@lru_cache(maxsize=64)
def shared_normaliser(
    default_country: str = "US", extension_pattern: str = DEFAULT_EXTENSION_PATTERN
) -> NumberNormaliser:
    """The process's normaliser for this country and extension pattern. A normaliser holds
    nothing but its caches, so one is shared — by the PBX translators and the pipeline, so a
    number worked out once is known to all. A translator made for each webhook request had a
    fresh one: its caches empty, and left with them to the garbage collector."""
    return NumberNormaliser(default_country, extension_pattern)
