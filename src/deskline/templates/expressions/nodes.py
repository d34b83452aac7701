"""The syntax tree of a compiled template.

Every node keeps the offset of its source so errors found after parsing (unknown function,
wrong number of arguments) still point at the right place.
"""

from __future__ import annotations

from dataclasses import dataclass

WHOLE_CONTEXT = "$"
"""The root name used for "reads the whole context"; never a trusted variable name."""


# --- operands --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Field:
    """``.A.B`` (relative to dot) or ``$.A.B`` (from the root, when ``from_root``)."""

    names: tuple[str, ...]
    offset: int
    from_root: bool = False


@dataclass(frozen=True, slots=True)
class Dot:
    """``.`` — the current value (the root, or the element inside ``with``/``range``)."""

    offset: int


@dataclass(frozen=True, slots=True)
class Literal:
    """A string, number, ``true``, ``false`` or ``nil`` written in the template."""

    value: str | int | float | bool | None
    offset: int


@dataclass(frozen=True, slots=True)
class SubPipeline:
    """A parenthesised pipeline used as an operand: ``(UrlEncode .Phone)``."""

    pipeline: Pipeline
    offset: int


Operand = Field | Dot | Literal | SubPipeline


# --- commands and pipelines ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Call:
    """A function call; a piped value is appended to ``args`` when it runs."""

    name: str
    args: tuple[Operand, ...]
    offset: int


Command = Call | Operand


@dataclass(frozen=True, slots=True)
class Pipeline:
    """``cmd | cmd | ...``: each command's result is the last argument of the next."""

    commands: tuple[Command, ...]
    offset: int

    @property
    def last_function(self) -> str | None:
        last = self.commands[-1]
        return last.name if isinstance(last, Call) else None


# --- template structure ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Text:
    text: str
    offset: int


@dataclass(frozen=True, slots=True)
class Action:
    """``{{ pipeline }}``: prints the pipeline's value. ``roots`` are the top-level variables
    its value derives from (also through the dot of an enclosing ``with``/``range``); it
    holds :data:`WHOLE_CONTEXT` when it prints the whole context (``$``, a top-level ``.``)."""

    pipeline: Pipeline
    offset: int
    roots: frozenset[str]
    label: str  # how error messages name it: "the value of .Phone"


@dataclass(frozen=True, slots=True)
class Branch:
    condition: Pipeline
    body: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class If:
    """``if`` / ``else if`` ... / ``else`` / ``end``."""

    branches: tuple[Branch, ...]
    otherwise: tuple[Node, ...]
    offset: int


@dataclass(frozen=True, slots=True)
class With:
    """``with`` sets dot to the pipeline's value when it is non-empty."""

    value: Pipeline
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...]
    offset: int


@dataclass(frozen=True, slots=True)
class Range:
    """``range`` runs its body once per element (dot = element), or ``else`` when empty."""

    value: Pipeline
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...]
    offset: int


Node = Text | Action | If | With | Range
