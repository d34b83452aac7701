"""Parsing GJSON paths (https://github.com/tidwall/gjson/blob/master/SYNTAX.md).

A path is pipe-separated segments of dot-separated components::

    key  ke*y  k?y  fav\\.movie      a key; * and ? are wildcards, \\ makes a character literal
    1                               an array index (or the key "1" of an object)
    #                               the array's length, or (followed by .rest) rest for each element
    #(query)  #(query)#             the first element / all elements matching the query
    @this @reverse @flatten @keys @values @join   modifiers
    a.b|c                           "|" applies the rest to the whole result so far

A query is ``[path] [op value]`` with op in ``== = != < <= > >= % !%`` and value a JSON string,
number, ``true``, ``false`` or ``null``; without op it tests that the path exists.
Multipaths (``{...}``/``[...]``), literals (``!true``), ``..`` JSON lines and modifier arguments
are not supported and are reported as syntax errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from deskline.templates.paths.errors import PathSyntaxError

MODIFIERS = frozenset({"this", "reverse", "flatten", "keys", "values", "join"})
_OPERATORS = ("==", "!=", "<=", ">=", "!%", "<", ">", "=", "%")
_OPERATOR_START = frozenset("=!<>%")
MAX_QUERY_DEPTH = 16
MAX_COMPONENTS = 128
_MODIFIER_RE = re.compile(r"@(\w*)")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


@dataclass(frozen=True, slots=True)
class Key:
    name: str  # unescaped
    pattern: re.Pattern[str] | None  # set when the key has wildcards


@dataclass(frozen=True, slots=True)
class Count:
    """``#``"""


@dataclass(frozen=True, slots=True)
class Query:
    subject: GPath | None  # None: the element itself
    operator: str | None  # None: existence test
    operand: object  # the parsed JSON value compared with
    all_matches: bool


@dataclass(frozen=True, slots=True)
class Modifier:
    name: str


Component = Key | Count | Query | Modifier
Segment = tuple[Component, ...]
GPath = tuple[Segment, ...]


@lru_cache(maxsize=2048)
def parse_gjson(path: str) -> GPath:
    """The parsed path; raises :class:`PathSyntaxError` with the offset of the problem."""
    return _parse(path, 0, 0)


def _parse(path: str, base: int, depth: int) -> GPath:
    if not path:
        raise PathSyntaxError("empty path", base)
    if depth > MAX_QUERY_DEPTH:
        raise PathSyntaxError(f"queries are nested more than {MAX_QUERY_DEPTH} deep", base)
    segments: list[Segment] = []
    components: list[Component] = []
    index = 0
    while True:
        component, index = _component(path, index, base, depth, not components)
        components.append(component)
        if len(components) > MAX_COMPONENTS:
            raise PathSyntaxError(f"a path may have at most {MAX_COMPONENTS} components", base)
        if index == len(path):
            segments.append(tuple(components))
            return tuple(segments)
        separator = path[index]
        index += 1
        if index == len(path):
            raise PathSyntaxError(f"the path ends with '{separator}'", base + index - 1)
        if separator == "|":
            segments.append(tuple(components))
            components = []


def _component(
    path: str, index: int, base: int, depth: int, at_segment_start: bool
) -> tuple[Component, int]:
    char = path[index]
    if char == "#":
        if path.startswith("#(", index):
            return _query(path, index, base, depth)
        return Count(), _expect_separator(path, index + 1, base)
    if char == "@":
        match = _MODIFIER_RE.match(path, index)
        assert match is not None
        name = match.group(1)
        if name not in MODIFIERS:
            raise PathSyntaxError(f"unknown modifier '@{name}'", base + index)
        if path.startswith(":", match.end()):
            raise PathSyntaxError("modifier arguments are not supported", base + match.end())
        return Modifier(name), _expect_separator(path, match.end(), base)
    if at_segment_start and char in "{[":
        raise PathSyntaxError("multipaths ({...} or [...]) are not supported", base + index)
    if char == "!" and at_segment_start:
        raise PathSyntaxError("literals (!true, ...) are not supported", base + index)
    return _key(path, index, base)


def _expect_separator(path: str, index: int, base: int) -> int:
    if index < len(path) and path[index] not in ".|":
        raise PathSyntaxError(f"expected '.' or '|' before {path[index]!r}", base + index)
    return index


def _key(path: str, index: int, base: int) -> tuple[Key, int]:
    start = index
    name: list[str] = []
    regex: list[str] = []
    wildcard = False
    while index < len(path) and path[index] not in ".|":
        char = path[index]
        if char == "\\":
            if index + 1 == len(path):
                raise PathSyntaxError("the path ends with a lone backslash", base + index)
            char = path[index + 1]
            index += 2
            name.append(char)
            regex.append(re.escape(char))
            continue
        if char in "*?":
            wildcard = True
            regex.append(".*" if char == "*" else ".")
        else:
            regex.append(re.escape(char))
        name.append(char)
        index += 1
    if index == start:
        raise PathSyntaxError("empty key in path", base + index)
    pattern = re.compile("".join(regex), re.DOTALL) if wildcard else None
    return Key("".join(name), pattern), index


def _query(path: str, index: int, base: int, depth: int) -> tuple[Query, int]:
    open_at = index + 1
    close_at = _matching_paren(path, open_at, base)
    inner_start = open_at + 1
    body = path[inner_start:close_at]
    subject, operator, operand = _query_body(body, base + inner_start, depth + 1)
    index = close_at + 1
    all_matches = path.startswith("#", index)
    if all_matches:
        index += 1
    return Query(subject, operator, operand, all_matches), _expect_separator(path, index, base)


def _matching_paren(path: str, open_at: int, base: int) -> int:
    depth = 0
    index = open_at
    in_string = False
    while index < len(path):
        char = path[index]
        if char == "\\":
            index += 2
            continue
        if in_string:
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise PathSyntaxError("unclosed query: ')' is missing", base + open_at)


def _query_body(body: str, base: int, depth: int) -> tuple[GPath | None, str | None, object]:
    split_at = _operator_position(body)
    if split_at is None:
        subject_text = body.strip()
        if not subject_text:
            raise PathSyntaxError("empty query", base)
        return _parse(subject_text, base + body.index(subject_text), depth), None, None
    operator = next(op for op in _OPERATORS if body.startswith(op, split_at))
    if operator == "=":
        operator = "=="
        size = 1
    else:
        size = len(operator)
    subject_text = body[:split_at].strip()
    subject_base = base + body.index(subject_text)
    subject = _parse(subject_text, subject_base, depth) if subject_text else None
    value_start = split_at + size
    return subject, operator, _query_value(body[value_start:], base + value_start)


def _operator_position(body: str) -> int | None:
    """Where the first top-level operator starts (outside nested queries and strings)."""
    depth = 0
    index = 0
    in_string = False
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 2
            continue
        if in_string:
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char in _OPERATOR_START:
            return index
        index += 1
    return None


def _query_value(text: str, base: int) -> object:
    value = text.strip()
    offset = base + (len(text) - len(text.lstrip()))
    if value.startswith('"'):
        try:
            decoded = json.loads(value)
        except ValueError:
            raise PathSyntaxError("malformed string in query", offset) from None
        if not isinstance(decoded, str):
            raise PathSyntaxError("malformed string in query", offset)
        return decoded
    if _NUMBER_RE.fullmatch(value):
        return json.loads(value)
    if value in ("true", "false", "null"):
        return json.loads(value)
    raise PathSyntaxError(
        'the value in a query must be a "quoted string", a number, true, false or null', offset
    )
