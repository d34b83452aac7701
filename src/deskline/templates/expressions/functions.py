"""The functions a template may call: the vendor's four and deskline's Go built-ins.

Every function is pure, takes already evaluated values, and returns a value; each is
described by a :class:`FunctionSpec` (arity and a one-line doc) so the compiler can refuse
unknown names and wrong argument counts, and the docs can list them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from types import MappingProxyType
from urllib.parse import quote

import phonenumbers

from deskline.errors import TemplateRenderError
from deskline.templates.expressions.printf import sprintf
from deskline.templates.expressions.timeformat import format_unix_time
from deskline.templates.expressions.values import (
    compare,
    describe,
    is_true,
    require_number,
    to_text,
    values_equal,
)

Implementation = Callable[[list[object], tzinfo], object]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    signature: str
    doc: str
    origin: str  # "vendor" (documented by the PBX vendor) or "deskline" (Go built-in we add)
    implementation: Implementation

    def accepts(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)

    def arity_text(self) -> str:
        if self.max_args == self.min_args:
            return f"{self.min_args} argument{'s' if self.min_args != 1 else ''}"
        if self.max_args is None:
            return f"at least {self.min_args} argument{'s' if self.min_args != 1 else ''}"
        return f"{self.min_args} to {self.max_args} arguments"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _time_format(args: list[object], tz: tzinfo) -> object:
    if _blank(args[0]):
        return ""
    seconds = require_number(args[0], "TimeFormat")
    in_utc = len(args) > 2 and to_text(args[2]).strip().lower() in {"1", "true"}
    return format_unix_time(float(seconds), to_text(args[1]), UTC if in_utc else tz)


def _to_millis(args: list[object], tz: tzinfo) -> object:
    if _blank(args[0]):
        return ""
    seconds = require_number(args[0], "ToMillis")
    return round(seconds * 1000)


def _capitalize(args: list[object], tz: tzinfo) -> object:
    text = to_text(args[0])
    return text[:1].upper() + text[1:]


def _url_encode(args: list[object], tz: tzinfo) -> object:
    return quote(to_text(args[0]), safe="")


def _digits(args: list[object], tz: tzinfo) -> object:
    return "".join(char for char in to_text(args[0]) if "0" <= char <= "9")


def _national_number(args: list[object], tz: tzinfo) -> object:
    """The digits of the national significant number: what a helpdesk stored the number as,
    whatever the format (+1 513-555-7611 and (513) 555-7611 both end in 5135557611)."""
    text = to_text(args[0]).strip()
    digits = _digits([text], tz)
    assert isinstance(digits, str)
    if text.startswith(("+", "00")):
        try:
            parsed = phonenumbers.parse("+" + digits[2:] if text.startswith("00") else text)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and phonenumbers.is_possible_number(parsed):
            return phonenumbers.national_significant_number(parsed)
    return digits.lstrip("0")


def _eq(args: list[object], tz: tzinfo) -> object:
    return any(values_equal(args[0], other) for other in args[1:])


def _ne(args: list[object], tz: tzinfo) -> object:
    return not values_equal(args[0], args[1])


def _ordering(name: str, test: Callable[[int], bool]) -> Implementation:
    def implementation(args: list[object], tz: tzinfo) -> object:
        return test(compare(args[0], args[1], name))

    return implementation


def _and(args: list[object], tz: tzinfo) -> object:
    for value in args:
        if not is_true(value):
            return value
    return args[-1]


def _or(args: list[object], tz: tzinfo) -> object:
    for value in args:
        if is_true(value):
            return value
    return args[-1]


def _not(args: list[object], tz: tzinfo) -> object:
    return not is_true(args[0])


def _len(args: list[object], tz: tzinfo) -> object:
    value = args[0]
    if value is None:
        return 0
    if isinstance(value, str | Sequence | Mapping):
        return len(value)
    raise TemplateRenderError(f"len: cannot take the length of {describe(value)}")


def _print(args: list[object], tz: tzinfo) -> object:
    # Go's fmt.Sprint: a space between operands when neither side is a string.
    out: list[str] = []
    for position, value in enumerate(args):
        if position and not isinstance(value, str) and not isinstance(args[position - 1], str):
            out.append(" ")
        out.append(to_text(value))
    return "".join(out)


def _printf(args: list[object], tz: tzinfo) -> object:
    return sprintf(to_text(args[0]), args[1:])


def _index(args: list[object], tz: tzinfo) -> object:
    value = args[0]
    for key in args[1:]:
        if isinstance(value, Mapping):
            value = value.get(to_text(key))
        elif isinstance(value, Sequence) and not isinstance(value, str):
            position = require_number(key, "index")
            in_range = isinstance(position, int) and -len(value) <= position < len(value)
            value = value[position] if in_range and isinstance(position, int) else None
        else:
            return None
    return value


def _spec(
    name: str, arity: tuple[int, int | None], signature: str, doc: str, origin: str,
    implementation: Implementation,
) -> FunctionSpec:  # fmt: skip
    return FunctionSpec(name, arity[0], arity[1], signature, doc, origin, implementation)


_SPECS = (
    _spec("TimeFormat", (2, 3), 'TimeFormat <unix seconds> "<format>" "<utc>"',
          'Formats a unix time; "1" as third argument converts to UTC, otherwise the PBX '
          "time zone is used.", "vendor", _time_format),
    _spec("ToMillis", (1, 1), "ToMillis <unix seconds>", "Unix seconds to milliseconds.",
          "vendor", _to_millis),
    _spec("Capitalize", (1, 1), "Capitalize <text>", "The text with its first letter in "
          "upper case.", "vendor", _capitalize),
    _spec("UrlEncode", (1, 1), "UrlEncode <text>", "Percent-encodes every character but "
          "A-Z a-z 0-9 - _ . ~ (hello world! -> hello%20world%21).", "vendor", _url_encode),
    _spec("Digits", (1, 1), "Digits <text>", "Only the digits 0-9 of the text "
          "(+1 (513) 555-7611 -> 15135557611).", "deskline", _digits),
    _spec("NationalNumber", (1, 1), "NationalNumber <phone>", "The digits of the national "
          "number: +15135557611 -> 5135557611, +49 30 123456 -> 30123456; a number without "
          "+ or 00 gives its digits without leading zeros (030 123456 -> 30123456).",
          "deskline", _national_number),
    _spec("eq", (2, None), "eq <a> <b> [<c>...]", "True when a equals b (or any later "
          "argument).", "deskline", _eq),
    _spec("ne", (2, 2), "ne <a> <b>", "True when a differs from b.", "deskline", _ne),
    _spec("lt", (2, 2), "lt <a> <b>", "a < b (numbers by value, otherwise as text).",
          "deskline", _ordering("lt", lambda c: c < 0)),
    _spec("le", (2, 2), "le <a> <b>", "a <= b.", "deskline", _ordering("le", lambda c: c <= 0)),
    _spec("gt", (2, 2), "gt <a> <b>", "a > b.", "deskline", _ordering("gt", lambda c: c > 0)),
    _spec("ge", (2, 2), "ge <a> <b>", "a >= b.", "deskline", _ordering("ge", lambda c: c >= 0)),
    _spec("and", (1, None), "and <a> <b>...", "The first empty argument, or the last one.",
          "deskline", _and),
    _spec("or", (1, None), "or <a> <b>...", "The first non-empty argument, or the last one.",
          "deskline", _or),
    _spec("not", (1, 1), "not <a>", "True when a is empty (false, 0, nil, empty text/list).",
          "deskline", _not),
    _spec("len", (1, 1), "len <text|list|object>", "The length.", "deskline", _len),
    _spec("print", (0, None), "print <a>...", "The arguments as text, like Go's fmt.Sprint.",
          "deskline", _print),
    _spec("printf", (1, None), 'printf "<format>" <a>...', "A safe subset of Go's "
          "fmt.Sprintf (%s %v %d %f %e %g %x %X %q %t %%, width/precision <= 64).",
          "deskline", _printf),
    _spec("index", (1, None), "index <list|object> <key>...", "The element at the given "
          "index or key (nothing when absent).", "deskline", _index),
)  # fmt: skip

KNOWN_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType({s.name: s for s in _SPECS})
"""Every function a template may call, by name."""
