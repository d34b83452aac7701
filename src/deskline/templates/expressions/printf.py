"""``printf``: a safe subset of Go's ``fmt.Sprintf``.

Verbs ``%s %v %d %f %e %g %x %X %q %t %%`` with the flags ``- + 0 space`` and a width and
precision of at most :data:`MAX_WIDTH` (a template cannot make a huge string out of a tiny
one). ``*`` widths, argument indexes and the other verbs are refused. Like Go, a missing
argument prints ``%!v(MISSING)`` and a surplus one ``%!(EXTRA value)``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from deskline.errors import TemplateRenderError
from deskline.templates.expressions.values import as_number, format_float, to_text

MAX_WIDTH = 64
_SPEC_RE = re.compile(r"%(?P<flags>[-+0 ]*)(?P<width>\d*)(?:\.(?P<precision>\d*))?(?P<verb>.?)")
_VERBS = frozenset("svdfeEgGxXqt%")


@lru_cache(maxsize=256)
def _parse(layout: str) -> tuple[str | tuple[str, str, int | None, int | None], ...]:
    pieces: list[str | tuple[str, str, int | None, int | None]] = []
    index = 0
    while index < len(layout):
        percent = layout.find("%", index)
        if percent < 0:
            pieces.append(layout[index:])
            break
        if percent > index:
            pieces.append(layout[index:percent])
        match = _SPEC_RE.match(layout, percent)
        assert match is not None  # the pattern matches any "%..." prefix
        verb = match.group("verb")
        if verb not in _VERBS or not verb:
            raise TemplateRenderError(f"printf: unsupported verb {match.group(0)!r}")
        width = int(match.group("width")) if match.group("width") else None
        precision_text = match.group("precision")
        precision = int(precision_text or 0) if precision_text is not None else None
        if (width or 0) > MAX_WIDTH or (precision or 0) > MAX_WIDTH:
            raise TemplateRenderError(f"printf: width and precision are limited to {MAX_WIDTH}")
        if verb == "%":
            pieces.append("%")
        else:
            pieces.append((match.group("flags"), verb, width, precision))
        index = match.end()
    return tuple(pieces)


def sprintf(layout: str, args: list[object]) -> str:
    out: list[str] = []
    remaining = list(args)
    for piece in _parse(layout):
        if isinstance(piece, str):
            out.append(piece)
            continue
        flags, verb, width, precision = piece
        if not remaining:
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_format_one(remaining.pop(0), flags, verb, width, precision))
    out.extend(f"%!(EXTRA {to_text(extra)})" for extra in remaining)
    return "".join(out)


def _format_one(
    value: object, flags: str, verb: str, width: int | None, precision: int | None
) -> str:
    if verb in "dxX" or (verb in "feEgG" and as_number(value) is not None):
        number = as_number(value)
        if number is None or (verb in "dxX" and not float(number).is_integer()):
            return f"%!{verb}({to_text(value)})"
        spec = _number_spec(flags, width)
        if verb in "feEgG":
            spec += f".{precision if precision is not None else 6}{verb}"
            return format(float(number), spec)
        return format(int(number), spec + ("d" if verb == "d" else verb))
    text = _as_string(value, verb)
    if precision is not None and verb in "sv":
        text = text[:precision]
    if width and len(text) < width:
        text = text.ljust(width) if "-" in flags else text.rjust(width)
    return text


def _number_spec(flags: str, width: int | None) -> str:
    """Go flags as a Python format spec: [align][sign][0][width]."""
    spec = "<" if "-" in flags else ""
    spec += "+" if "+" in flags else (" " if " " in flags else "")
    spec += "0" if "0" in flags and "-" not in flags else ""
    return spec + str(width or "")


def _as_string(value: object, verb: str) -> str:
    if verb == "q":
        return json.dumps(to_text(value), ensure_ascii=False)
    if verb == "t" and not isinstance(value, bool):
        return f"%!t({to_text(value)})"
    if verb in "feEgG":
        return f"%!{verb}({to_text(value)})"
    if isinstance(value, float):
        return format_float(value)
    return to_text(value)
