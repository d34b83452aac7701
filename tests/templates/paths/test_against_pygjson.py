"""Differential check: deskline's GJSON evaluator agrees with gjson.rs (via pygjson)."""

from __future__ import annotations

import json

import pytest

from deskline.templates.paths import extract
from tests.templates.paths.test_gjson import FRIENDS, SYNTAX_EXAMPLES

pygjson = pytest.importorskip("pygjson")

EXTRA_PATHS = [
    "friends.#(age>=47)#.nets.0",
    'friends.#(nets.#(=="ig"))#|#',
    "friends.#.nets.#",
    'friends.#(last!="Murphy")#.first',
    "friends.1.nets|@reverse",
    "friends.#(age<45).first",
    'children.#(=="Jack")',
    "name.*",
    "nothing.here",
    'friends.#(first=="Nobody")#.last',
]


def _plain(result: object) -> object:
    if not result.exists():  # type: ignore[attr-defined]
        return None
    kind = result.type_  # type: ignore[attr-defined]
    if kind is list:
        return [_plain(item) for item in result.value]  # type: ignore[attr-defined]
    if kind is dict:
        return {key: _plain(item) for key, item in result.value.items()}  # type: ignore[attr-defined]
    return result.value  # type: ignore[attr-defined]


# gjson.rs lacks Go gjson's newer @keys/@values modifiers
_COMPARABLE = [path for path, _ in SYNTAX_EXAMPLES if "@keys" not in path and "@values" not in path]


@pytest.mark.parametrize("path", _COMPARABLE + EXTRA_PATHS)
def test_same_result_as_gjson_rs(path: str) -> None:
    assert extract(path, FRIENDS) == _plain(pygjson.get(json.dumps(FRIENDS), path))
