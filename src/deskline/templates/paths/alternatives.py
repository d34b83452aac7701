"""Splitting a field's comma-separated alternative paths at top-level commas only."""

from __future__ import annotations

from functools import lru_cache

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_OPENERS.values())


@lru_cache(maxsize=2048)
def split_with_offsets(paths: str) -> tuple[tuple[int, str], ...]:
    """``(offset, path)`` of each alternative, stripped of surrounding whitespace; empty
    alternatives are left out. Commas inside double quotes, brackets or after a backslash stay."""
    pieces: list[tuple[int, str]] = []
    depth = 0
    in_quotes = False
    start = 0
    index = 0
    while index < len(paths):
        char = paths[index]
        if char == "\\":
            index += 2
            continue
        if in_quotes:
            in_quotes = char != '"'
        elif char == '"':
            in_quotes = True
        elif char in _OPENERS:
            depth += 1
        elif char in _CLOSERS and depth:
            depth -= 1
        elif char == "," and depth == 0:
            _add(pieces, paths, start, index)
            start = index + 1
        index += 1
    _add(pieces, paths, start, len(paths))
    return tuple(pieces)


def _add(pieces: list[tuple[int, str]], paths: str, start: int, end: int) -> None:
    raw = paths[start:end]
    lead = len(raw) - len(raw.lstrip())
    text = raw.strip()
    trailing_backslashes = len(text) - len(text.rstrip("\\"))
    if trailing_backslashes % 2 and len(text) + lead < len(raw):
        text = raw[lead : lead + len(text) + 1]  # keep the escaped whitespace character
    if text:
        pieces.append((start + lead, text))
