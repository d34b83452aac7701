"""Evaluating a parsed GJSON path against a parsed JSON document (dicts, lists, scalars).

Results are the document's own values (strings stay strings, numbers numbers); ``#`` and
``#(...)#`` build new lists. Non-existent results are :data:`MISSING`, distinct from JSON null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Final

from deskline.templates.paths.gjson_syntax import (
    Component,
    Count,
    GPath,
    Key,
    Modifier,
    Query,
)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def evaluate(path: GPath, document: object) -> object:
    value = document
    for segment in path:
        value = _walk(segment, 0, value)
        if value is MISSING:
            break
    return value


def _walk(components: tuple[Component, ...], index: int, value: object) -> object:
    if index == len(components):
        return value
    component = components[index]
    if isinstance(component, Key):
        return _walk(components, index + 1, _child(value, component))
    if isinstance(component, Modifier):
        return _walk(components, index + 1, _MODIFIERS[component.name](value))
    if not isinstance(value, list):
        return MISSING
    if isinstance(component, Count):
        if index + 1 == len(components):
            return len(value)
        return _map_rest(components, index + 1, value)
    if component.all_matches:
        matches = [element for element in value if _matches(component, element)]
        return _map_rest(components, index + 1, matches)
    for element in value:
        if _matches(component, element):
            return _walk(components, index + 1, element)
    return MISSING


def _map_rest(components: tuple[Component, ...], index: int, elements: list[object]) -> object:
    results = (_walk(components, index, element) for element in elements)
    return [result for result in results if result is not MISSING]


def _child(value: object, key: Key) -> object:
    if value is MISSING:
        return MISSING
    if isinstance(value, dict):
        if key.pattern is None:
            return value.get(key.name, MISSING)
        for name, child in value.items():
            if isinstance(name, str) and key.pattern.fullmatch(name):
                return child
        return MISSING
    if isinstance(value, list) and key.pattern is None and key.name.isdigit():
        position = int(key.name)
        return value[position] if position < len(value) else MISSING
    return MISSING


# --- queries ---------------------------------------------------------------------------------
def _matches(query: Query, element: object) -> bool:
    subject = element if query.subject is None else evaluate(query.subject, element)
    if subject is MISSING:
        return False
    if query.operator is None:
        return True
    operand = query.operand
    if isinstance(operand, str):
        if not isinstance(subject, str):
            return query.operator == "!="
        if query.operator in ("%", "!%"):
            return (query.operator == "%") == bool(_glob(operand).fullmatch(subject))
        return _ordered(query.operator, subject, operand)
    if isinstance(operand, int | float) and not isinstance(operand, bool):
        if not isinstance(subject, int | float) or isinstance(subject, bool):
            return query.operator == "!="
        return _ordered(query.operator, subject, operand)
    # true / false / null: equality only
    same = type(subject) is type(operand) and subject == operand
    if query.operator == "==":
        return same
    return query.operator == "!=" and not same


_COMPARISONS: dict[str, Callable[[int], bool]] = {
    "==": lambda c: c == 0,
    "!=": lambda c: c != 0,
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def _ordered(operator: str, left: str | float, right: str | float) -> bool:
    test = _COMPARISONS.get(operator)
    if test is None:  # % and !% on numbers never match
        return False
    return test((left > right) - (left < right))  # type: ignore[operator]


@lru_cache(maxsize=512)
def _glob(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


# --- modifiers -------------------------------------------------------------------------------
def _reverse(value: object) -> object:
    if isinstance(value, list):
        return value[::-1]
    if isinstance(value, dict):
        return dict(reversed(list(value.items())))
    return value


def _flatten(value: object) -> object:
    if not isinstance(value, list):
        return value
    flat: list[object] = []
    for element in value:
        flat.extend(element if isinstance(element, list) else [element])
    return flat


def _keys(value: object) -> object:
    return list(value) if isinstance(value, dict) else MISSING


def _values(value: object) -> object:
    return list(value.values()) if isinstance(value, dict) else MISSING


def _join(value: object) -> object:
    if not isinstance(value, list):
        return value
    joined: dict[str, object] = {}
    for element in value:
        if isinstance(element, dict):
            joined.update(element)
    return joined


_MODIFIERS: dict[str, Callable[[object], object]] = {
    "this": lambda value: value,
    "reverse": _reverse,
    "flatten": _flatten,
    "keys": _keys,
    "values": _values,
    "join": _join,
}
