"""Where things are in a template file: lines and columns of elements and attribute values.

The loader records, for every element, where its start tag begins and where each attribute's
raw value begins in the source text. A problem inside an attribute value (an expression error
at character N of the *decoded* value) is mapped back through the entity references
(``&quot;``, ``&#xA;`` …) to the line and column of that character in the file.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z_][\w.-]*);")


@dataclass(frozen=True)
class Position:
    """A 1-based line and column (columns count characters, not bytes)."""

    line: int
    column: int


@dataclass(frozen=True)
class SourceText:
    """The decoded text of a template file, with a line index."""

    text: str
    name: str = "<template>"
    _line_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", self.text)]
        object.__setattr__(self, "_line_starts", tuple(starts))

    def position(self, offset: int) -> Position:
        """The line and column of the character at ``offset`` (0-based) in the text."""
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self._line_starts, offset) - 1
        return Position(line_index + 1, offset - self._line_starts[line_index] + 1)


@dataclass(frozen=True)
class AttributeSpan:
    """Where an attribute's raw value (between its quotes) starts, and the raw text itself."""

    value_start: int
    raw_value: str

    def raw_offset(self, decoded_offset: int) -> int:
        """The offset in the raw value of the character at ``decoded_offset`` of the value.

        Each entity reference decodes to one character, and a CR LF pair to one line break.
        """
        raw_index = 0
        decoded_index = 0
        raw = self.raw_value
        while raw_index < len(raw) and decoded_index < decoded_offset:
            match = _ENTITY.match(raw, raw_index) if raw[raw_index] == "&" else None
            if match:
                raw_index = match.end()
            elif raw.startswith("\r\n", raw_index):
                raw_index += 2
            else:
                raw_index += 1
            decoded_index += 1
        return raw_index


@dataclass(frozen=True)
class ElementLocation:
    """Where an element's start tag (its ``<``) and its attribute values are in the source."""

    source: SourceText
    start: int
    attributes: Mapping[str, AttributeSpan] = field(default_factory=dict)

    def position(self) -> Position:
        return self.source.position(self.start)

    def attribute_position(self, name: str, value_offset: int | None = None) -> Position:
        """Where attribute ``name`` is: its value's first character, or character N of it.

        Falls back to the element's own position when the attribute is not in the file.
        """
        span = self.attributes.get(name)
        if span is None:
            return self.position()
        offset = span.raw_offset(value_offset) if value_offset is not None else 0
        return self.source.position(span.value_start + offset)
