"""Splits template source into tokens: literal text, and the words inside ``{{ }}`` actions.

The token rules follow Go's ``text/template`` lexer for the subset deskline supports:
``{{-``/``-}}`` trim the whitespace next to the action (the dash must be followed/preceded by
a space), ``{{/* comments */}}`` vanish, and strings may be interpreted (``"..."`` with Go
escapes) or raw (`` `...` ``). For compatibility with the PBX vendor's published examples
(``{{TimeFormat .StartTimeUnix 'yyyy-MM-dd' '1'}}``) a single-quoted ``'...'`` is a string too,
where Go would only accept a one-character rune.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from deskline.templates.expressions.errors import ExpressionSyntaxError


class Tok(Enum):
    TEXT = "text"
    OPEN = "{{"
    CLOSE = "}}"
    FIELD = "field"  # .Name — value holds the name without the dot
    DOT = "."
    VARIABLE = "$"  # value holds "$" (the root); named variables are not supported
    IDENT = "identifier"
    STRING = "string"
    NUMBER = "number"
    LPAREN = "("
    RPAREN = ")"
    PIPE = "|"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Tok
    value: object
    offset: int


_SPACE = " \t\r\n"
_IDENT_RE = re.compile(r"[^\W\d]\w*")
_FIELD_RE = re.compile(r"\.([^\W\d]\w*)")
_NUMBER_RE = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)")
_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", '"': '"', "'": "'",
}  # fmt: skip


def tokenize(source: str) -> list[Token]:
    """All tokens of ``source``; raises :class:`ExpressionSyntaxError` with the offset."""
    tokens: list[Token] = []
    pos = 0
    trim_next_text = False
    while pos <= len(source):
        start = source.find("{{", pos)
        end = len(source) if start < 0 else start
        text = source[pos:end]
        if trim_next_text:
            stripped = text.lstrip(_SPACE)
            pos += len(text) - len(stripped)
            text = stripped
        trim_left = start >= 0 and source.startswith("{{-", start) and _space_at(source, start + 3)
        if trim_left:
            text = text.rstrip(_SPACE)
        if text:
            tokens.append(Token(Tok.TEXT, text, pos))
        if start < 0:
            break
        pos, trim_next_text = _lex_action(source, start, trim_left, tokens)
    return tokens


def _space_at(source: str, index: int) -> bool:
    return index < len(source) and source[index] in _SPACE


def _lex_action(source: str, start: int, trim_left: bool, tokens: list[Token]) -> tuple[int, bool]:
    """Lexes one ``{{ ... }}`` from ``start``; returns the position after it and its trim flag."""
    pos = start + (3 if trim_left else 2)
    while pos < len(source) and source[pos] in _SPACE:
        pos += 1
    if source.startswith("/*", pos):
        close = source.find("*/", pos + 2)
        if close < 0:
            raise ExpressionSyntaxError("unclosed comment", pos)
        return _expect_close(source, close + 2, start)
    tokens.append(Token(Tok.OPEN, "{{", start))
    while True:
        while pos < len(source) and source[pos] in _SPACE:
            pos += 1
        if pos >= len(source):
            raise ExpressionSyntaxError("unclosed action: '}}' is missing", start)
        if source.startswith("}}", pos) or (
            source.startswith("-}}", pos) and source[pos - 1] in _SPACE
        ):
            tokens.append(Token(Tok.CLOSE, "}}", pos))
            trim_right = source[pos] == "-"
            return pos + (3 if trim_right else 2), trim_right
        pos = _lex_word(source, pos, tokens)


def _expect_close(source: str, pos: int, start: int) -> tuple[int, bool]:
    while pos < len(source) and source[pos] in _SPACE:
        pos += 1
    if source.startswith("}}", pos):
        return pos + 2, False
    if source.startswith("-}}", pos) and source[pos - 1] in _SPACE:
        return pos + 3, True
    raise ExpressionSyntaxError("a comment must be the only thing in its action", start)


def _lex_word(source: str, pos: int, tokens: list[Token]) -> int:
    char = source[pos]
    if char in "\"'`":
        value, end = _lex_string(source, pos)
        tokens.append(Token(Tok.STRING, value, pos))
        return end
    if char == ".":
        match = _FIELD_RE.match(source, pos)
        if match:
            tokens.append(Token(Tok.FIELD, match.group(1), pos))
            return match.end()
        if pos + 1 < len(source) and source[pos + 1].isdigit():
            return _lex_number(source, pos, tokens)
        tokens.append(Token(Tok.DOT, ".", pos))
        return pos + 1
    if char == "$":
        if pos + 1 < len(source) and (source[pos + 1].isalnum() or source[pos + 1] == "_"):
            raise ExpressionSyntaxError("template variables ($name) are not supported", pos)
        tokens.append(Token(Tok.VARIABLE, "$", pos))
        return pos + 1
    if char in "()|":
        kind = {"(": Tok.LPAREN, ")": Tok.RPAREN, "|": Tok.PIPE}[char]
        tokens.append(Token(kind, char, pos))
        return pos + 1
    if char.isdigit() or (
        char in "+-" and pos + 1 < len(source) and source[pos + 1] in "0123456789."
    ):
        return _lex_number(source, pos, tokens)
    match = _IDENT_RE.match(source, pos)
    if match:
        tokens.append(Token(Tok.IDENT, match.group(0), pos))
        return match.end()
    raise ExpressionSyntaxError(f"unexpected character {char!r} in action", pos)


def _lex_number(source: str, pos: int, tokens: list[Token]) -> int:
    match = _NUMBER_RE.match(source, pos)
    if not match or (match.end() < len(source) and (source[match.end()].isalnum())):
        raise ExpressionSyntaxError("malformed number", pos)
    text = match.group(0).replace("_", "")
    number: int | float
    try:
        if text.lstrip("+-")[:2].lower() == "0x":
            number = int(text, 16)
        elif any(c in text for c in ".eE"):
            number = float(text)
        else:
            number = int(text)
    except ValueError as exc:
        raise ExpressionSyntaxError("malformed number", pos) from exc
    tokens.append(Token(Tok.NUMBER, number, pos))
    return match.end()


def _lex_string(source: str, pos: int) -> tuple[str, int]:
    quote = source[pos]
    if quote == "`":
        close = source.find("`", pos + 1)
        if close < 0:
            raise ExpressionSyntaxError("unterminated raw string", pos)
        return source[pos + 1 : close], close + 1
    out: list[str] = []
    index = pos + 1
    while index < len(source):
        char = source[index]
        if char == quote:
            return "".join(out), index + 1
        if char == "\n":
            break
        if char != "\\":
            out.append(char)
            index += 1
            continue
        decoded, index = _lex_escape(source, index)
        out.append(decoded)
    raise ExpressionSyntaxError("unterminated string", pos)


def _lex_escape(source: str, index: int) -> tuple[str, int]:
    """Decodes the Go escape sequence at ``source[index]`` (a backslash)."""
    code = source[index + 1 : index + 2]
    if code in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[code], index + 2
    widths = {"x": 2, "u": 4, "U": 8}
    if code in widths:
        digits = source[index + 2 : index + 2 + widths[code]]
        if len(digits) == widths[code] and all(c in "0123456789abcdefABCDEF" for c in digits):
            value = int(digits, 16)
            if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
                return chr(value), index + 2 + widths[code]
    elif code and code in "01234567":
        digits = source[index + 1 : index + 4]
        if len(digits) == 3 and all(c in "01234567" for c in digits) and int(digits, 8) < 256:
            return chr(int(digits, 8)), index + 4
    raise ExpressionSyntaxError("invalid escape sequence in string", index)
