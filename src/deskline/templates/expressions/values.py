"""How template values print, test true, compare and read as numbers (Go semantics).

Values are the JSON kinds only: ``str``, ``int``, ``float``, ``bool``, ``None``, ``list`` and
``dict``. Nothing here touches attributes of arbitrary Python objects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from deskline.errors import TemplateRenderError

_DECIMAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def to_text(value: object) -> str:
    """The value as Go's ``fmt.Sprint`` prints it; ``None`` (nil, undefined) prints empty."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, Mapping):
        items = sorted((str(k), v) for k, v in value.items())
        return "map[" + " ".join(f"{k}:{_nested_text(v)}" for k, v in items) + "]"
    if isinstance(value, Sequence):
        return "[" + " ".join(_nested_text(v) for v in value) + "]"
    return str(value)


def _nested_text(value: object) -> str:
    return "<nil>" if value is None else to_text(value)


def format_float(value: float) -> str:
    """Go's ``%v`` for a float64: integral values without ``.0``, exponent from 1e21."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = exponent[0] if exponent[0] in "+-" else "+"
        digits = exponent.lstrip("+-").rjust(2, "0")
        text = f"{mantissa}e{sign}{digits}"
    return text


def is_true(value: object) -> bool:
    """Go template truth: false, 0, nil, the empty string and empty collections are false."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float | str | Sequence | Mapping):
        return bool(value)
    return True


def as_number(value: object) -> int | float | None:
    """The value as a number when it is one or a string holding a decimal number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_RE.fullmatch(text):
            return None
        if any(c in text for c in ".eE"):
            number = float(text)
            return number if math.isfinite(number) else None
        return int(text)
    return None


def require_number(value: object, function: str) -> int | float:
    number = as_number(value)
    if number is None:
        raise TemplateRenderError(f"{function}: expected a number, got {describe(value)}")
    return number


def describe(value: object) -> str:
    """A short, safe description of a value for error messages (never the value itself)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return f"a text of {len(value)} characters"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "a list"
    return "an unsupported value"


def values_equal(left: object, right: object) -> bool:
    """``eq``: numbers compare by value, other kinds by type and value; when the kinds differ
    (a helpdesk returned 42 where the template says "42"), by their printed forms."""
    left_num, right_num = _strict_number(left), _strict_number(right)
    if left_num is not None and right_num is not None:
        return left_num == right_num
    if type(left) is type(right):
        return left == right
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        return False
    return to_text(left) == to_text(right)


def compare(left: object, right: object, function: str) -> int:
    """-1, 0 or 1 for ``lt``/``le``/``gt``/``ge``: numerically when both read as numbers,
    otherwise as texts."""
    left_num, right_num = as_number(left), as_number(right)
    if left_num is not None and right_num is not None:
        return (left_num > right_num) - (left_num < right_num)
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        raise TemplateRenderError(
            f"{function}: cannot order {describe(left)} and {describe(right)}"
        )
    left_text, right_text = to_text(left), to_text(right)
    return (left_text > right_text) - (left_text < right_text)


def _strict_number(value: object) -> int | float | None:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int | float) else None
