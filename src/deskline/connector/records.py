"""Outputs read from a response, and the records they describe.

An Output whose path maps over an array (``contacts.#.id``, ``data.#(phone=="1")#.name``) gives
one value per element; the request then yields one record per array element. Values are read
element by element and kept with the element's index, so a contact without an e-mail gets
``None`` in its own record instead of shifting the e-mails of the contacts after it (GJSON's
``#.email`` alone would skip it), and fields found through different queries
(``#(phone==…)#`` for one, ``#(mobile==…)#`` for another) stay with the element they came
from. Outputs that give one value apply to every record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from deskline.errors import TemplateError, TemplateRenderError
from deskline.templates.paths import extract, split_paths

Record = dict[str, object]


@dataclass(frozen=True)
class Extracted:
    """One Output's result: ``per_record`` (array index → value) when the path maps over an
    array, else ``value``."""

    value: object = None
    per_record: dict[int, object] | None = None

    @property
    def empty(self) -> bool:
        if self.per_record is not None:
            return all(_is_empty(v) for v in self.per_record.values())
        return _is_empty(self.value)


@dataclass
class RequestOutputs:
    """What one response gave: its records and each Output's raw value (list or scalar)."""

    records: list[Record] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)


def _is_empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass(frozen=True)
class MappingPath:
    """A path that maps over an array: ``array`` (``""`` = the document), an optional
    ``query`` (``#(…)#``, the elements kept) and the ``element`` path read from each."""

    array: str
    query: str | None
    element: str


def split_mapping_path(path: str) -> MappingPath | None:
    """The parts of ``path`` when it maps over an array, else ``None``.

    ``a.#.b`` → array ``a``, element ``b``; ``a.#(x=="1")#.b`` → array ``a``, query
    ``#(x=="1")#``, element ``b``; ``#.b`` → the document is the array. Only the first
    mapping is split off; a path with ``|`` after it is left whole.
    """
    depth = 0
    in_quotes = False
    query_start = -1
    index = 0
    while index < len(path):
        char = path[index]
        if char == "\\":
            index += 2
            continue
        at_component = index == 0 or path[index - 1] in ".|"
        if in_quotes:
            in_quotes = char != '"'
        elif char == '"':
            in_quotes = True
        elif char == "#" and depth == 0 and at_component and path.startswith("#(", index):
            query_start = index
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
            if depth == 0 and query_start >= 0 and path.startswith(")#.", index):
                return _mapping(path, query_start, path[query_start : index + 2], index + 3)
            if depth == 0:
                query_start = -1
        elif path.startswith("#.", index) and depth == 0 and at_component:
            return _mapping(path, index, None, index + 2)
        index += 1
    return None


def _mapping(path: str, start: int, query: str | None, rest: int) -> MappingPath | None:
    array = path[: max(0, start - 1)]
    element = path[rest:]
    if not element or "|" in element or array.endswith("|"):
        return None
    return MappingPath(array, query, element)


def extract_output(paths: str, document: object) -> Extracted:
    """The first non-empty result of the comma-separated alternatives in ``paths``."""
    last = Extracted()
    try:
        for alternative in split_paths(paths):
            found = _extract_one(alternative, document)
            if not found.empty:
                return found
            last = found
    except TemplateError as exc:
        raise TemplateRenderError(f"path {paths[:200]!r}: {exc}") from None
    return last


def _extract_one(path: str, document: object) -> Extracted:
    mapping = split_mapping_path(path)
    if mapping is None:
        return Extracted(value=extract(path, document))
    array = extract(mapping.array, document) if mapping.array else document
    if not isinstance(array, list):
        return Extracted(per_record={})
    values: dict[int, object] = {}
    for index, element in enumerate(array):
        if mapping.query is not None and _is_empty(extract(mapping.query, [element])):
            continue
        values[index] = extract(mapping.element, element)
    return Extracted(per_record=values)


def build_records(outputs: Sequence[tuple[str, Extracted]]) -> RequestOutputs:
    """Records from the Outputs of one response (see the module docstring): one per array
    element some Output maps (in array order); single values go into every record."""
    mapped = [e.per_record for _, e in outputs if e.per_record is not None]
    indices = sorted({i for per in mapped for i in per}) if mapped else [-1]
    records: list[Record] = [{} for _ in indices]
    values: dict[str, object] = {}
    for name, extracted in outputs:
        per = extracted.per_record
        if per is not None:
            values[name] = [v for v in per.values() if v is not None]
            for index, record in zip(indices, records, strict=True):
                record[name] = per.get(index)
        else:
            values[name] = extracted.value
            for record in records:
                record[name] = extracted.value
    return RequestOutputs(records, values)


def merge_into(record: Record, addition: Record) -> None:
    """Adds ``addition``'s values where ``record`` has none (the first mapping wins)."""
    for name, value in addition.items():
        if _is_empty(record.get(name)) and not _is_empty(value):
            record[name] = value
