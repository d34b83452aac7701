"""Reading values out of JSON responses: GJSON paths, and JSONPath for paths starting ``$``.

::

    extract("users.#.id", document)                         # every user's id, as a list
    extract('identities.#(type=="phone_number")#|1.value', document)
    extract("$.data.access_token", document)                 # JSONPath (follow-up requests)
    extract_first('data.#(phone=="1")#.street,data.#(mobile=="1")#.street', document)

Results keep the JSON types of the document (a phone number ``"+4930123456"`` stays a
string); ``None`` means nothing matched. GJSON is evaluated by deskline's own small evaluator
(:mod:`.gjson_syntax`, :mod:`.gjson_eval`) working on parsed documents; JSONPath by
``python-jsonpath``. See ``docs/template-expressions.md`` for the syntax.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jsonpath

from deskline.templates.paths.alternatives import split_with_offsets
from deskline.templates.paths.errors import PathSyntaxError
from deskline.templates.paths.gjson_eval import MISSING, evaluate
from deskline.templates.paths.gjson_syntax import GPath, parse_gjson

_JsonPath = jsonpath.JSONPath | jsonpath.CompoundJSONPath

__all__ = ["PathSyntaxError", "check_path", "extract", "extract_first", "split_paths"]


def split_paths(paths: str) -> list[str]:
    """The comma-separated alternatives of a field, split at top-level commas only."""
    return [path for _, path in split_with_offsets(paths)]


def check_path(path: str) -> None:
    """Checks the syntax of a path (or of comma-separated alternatives); raises
    :class:`PathSyntaxError` with the offset in ``path`` of the first problem."""
    alternatives = split_with_offsets(path)
    if not alternatives:
        raise PathSyntaxError("empty path", 0)
    for offset, alternative in alternatives:
        try:
            _compile(alternative)
        except PathSyntaxError as exc:
            raise PathSyntaxError(exc.message, offset + exc.offset) from None


def extract(path: str, document: object) -> object:
    """The value at ``path`` in the parsed JSON ``document``; ``None`` when nothing matches.

    A GJSON path, or JSONPath when ``path`` starts with ``$`` (one match gives the value,
    several a list). Raises :class:`PathSyntaxError` for a malformed path.
    """
    compiled = _compile(path)
    if isinstance(compiled, _JsonPath):
        data: Any = document
        matches = compiled.findall(data)
        if not matches:
            return None
        return matches[0] if len(matches) == 1 else matches
    result = evaluate(compiled, document)
    return None if result is MISSING else result


def extract_first(paths: str, document: object) -> object:
    """The first non-empty result of the comma-separated alternatives in ``paths``
    (``None``, ``""``, ``[]`` and ``{}`` count as empty); ``None`` when all are empty."""
    for alternative in split_paths(paths):
        result = extract(alternative, document)
        if result is not None and result != "" and result != [] and result != {}:
            return result
    return None


@lru_cache(maxsize=2048)
def _compile(path: str) -> GPath | _JsonPath:
    if path.startswith("$"):
        try:
            return jsonpath.compile(path)
        except jsonpath.JSONPathError as exc:
            token = getattr(exc, "token", None)
            index = getattr(token, "index", -1) if token is not None else -1
            message = str(exc).splitlines()[0] if str(exc) else "malformed JSONPath"
            raise PathSyntaxError(message, index if index >= 0 else len(path)) from None
    return parse_gjson(path)
