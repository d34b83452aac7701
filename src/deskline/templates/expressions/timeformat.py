"""``TimeFormat``: unix seconds formatted with .NET/Java style date tokens.

Tokens (longest match wins; every other character is copied as is)::

    yyyy yyy yy y   year (4 digits, 3 digits, 2 digits, 2 digits without padding)
    MMMM MMM MM M   month (January, Jan, 01, 1)
    dddd ddd dd d   day (Monday, Mon, 01, 1)
    HH H hh h       hour (00-23, 0-23, 01-12, 1-12)
    mm m ss s       minute, second
    f.. (1-7)       fraction of a second with that many digits (fff = milliseconds)
    S.. (1-7)       the same, Java style (SSS = milliseconds)
    .0.. (1-7)      a dot and the fraction digits (the vendor's ".000")
    tt t            AM/PM, A/P
    z zz zzz        offset from UTC: +1, +01, +01:00
    Z K             "Z" when the offset is zero, otherwise +01:00 (ISO 8601)
    'text' "text"   literal text; a backslash makes the next character literal
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from deskline.errors import TemplateRenderError

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_REPEATABLE = "yMdHhmsfSzt"
_MAX_RUN = {"y": 5, "M": 4, "d": 4, "H": 2, "h": 2, "m": 2, "s": 2, "f": 7, "S": 7, "z": 3, "t": 2}


@lru_cache(maxsize=256)
def _compile(layout: str) -> tuple[tuple[str, int | str], ...]:
    """The layout as pieces: (token letter, run length) or ("'", literal text)."""
    pieces: list[tuple[str, int | str]] = []
    literal: list[str] = []
    index = 0

    def flush() -> None:
        if literal:
            pieces.append(("'", "".join(literal)))
            literal.clear()

    while index < len(layout):
        char = layout[index]
        if char in _REPEATABLE:
            run = 1
            while index + run < len(layout) and layout[index + run] == char:
                run += 1
            run = min(run, _MAX_RUN[char])
            flush()
            pieces.append((char, run))
            index += run
        elif char == "." and layout[index + 1 : index + 2] == "0":
            run = 0
            while index + 1 + run < len(layout) and layout[index + 1 + run] == "0" and run < 7:
                run += 1
            flush()
            pieces.append((".", run))
            index += 1 + run
        elif char in "ZK":
            flush()
            pieces.append(("Z", 1))
            index += 1
        elif char in "'\"":
            close = layout.find(char, index + 1)
            close = len(layout) if close < 0 else close
            literal.append(layout[index + 1 : close])
            index = close + 1
        elif char == "\\" and index + 1 < len(layout):
            literal.append(layout[index + 1])
            index += 2
        else:
            literal.append(char)
            index += 1
    flush()
    return tuple(pieces)


def format_unix_time(seconds: float, layout: str, tz: tzinfo) -> str:
    """``seconds`` since the epoch, in ``tz``, formatted by ``layout``."""
    try:
        moment = datetime.fromtimestamp(seconds, tz)
    except (OverflowError, OSError, ValueError) as exc:
        raise TemplateRenderError("TimeFormat: the time is out of range") from exc
    return "".join(_render(piece, moment) for piece in _compile(layout))


def _render(piece: tuple[str, int | str], moment: datetime) -> str:
    kind, arg = piece
    if isinstance(arg, str):
        return arg
    if kind == "y":
        if arg <= 2:
            return f"{moment.year % 100:0{arg}d}"
        return f"{moment.year:0{arg}d}"
    if kind == "M":
        if arg >= 3:
            name = _MONTHS[moment.month - 1]
            return name if arg == 4 else name[:3]
        return f"{moment.month:0{arg}d}"
    if kind == "d":
        if arg >= 3:
            name = _DAYS[moment.weekday()]
            return name if arg == 4 else name[:3]
        return f"{moment.day:0{arg}d}"
    if kind == "H":
        return f"{moment.hour:0{arg}d}"
    if kind == "h":
        return f"{(moment.hour % 12) or 12:0{arg}d}"
    if kind == "m":
        return f"{moment.minute:0{arg}d}"
    if kind == "s":
        return f"{moment.second:0{arg}d}"
    if kind in "fS":
        return f"{moment.microsecond * 10:07d}"[:arg]
    if kind == ".":
        return "." + f"{moment.microsecond * 10:07d}"[:arg]
    if kind == "t":
        marker = "AM" if moment.hour < 12 else "PM"
        return marker[:arg]
    return _render_zone(kind, arg, moment.utcoffset() or timedelta(0))


def _render_zone(kind: str, run: int, offset: timedelta) -> str:
    total_minutes = int(offset.total_seconds()) // 60
    sign = "-" if total_minutes < 0 else "+"
    hours, minutes = divmod(abs(total_minutes), 60)
    if kind == "Z":
        return "Z" if total_minutes == 0 else f"{sign}{hours:02d}:{minutes:02d}"
    if run == 1:
        return f"{sign}{hours}"
    if run == 2:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}:{minutes:02d}"
