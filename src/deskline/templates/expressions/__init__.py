"""Template expressions: the Go ``text/template`` subset of the helpdesk template format.

Compile once (the result is cached), render many times with a :class:`RenderContext`::

    template = compile_template('{"phone":"{{.Phone}}"}')
    template.render(RenderContext({"Phone": '+49 "30"'}), RenderMode.JSON)
    # '{"phone":"+49 \\"30\\""}'

The render mode says where the output goes (a JSON body, a URL, a header, a GJSON path, or
plain text) and decides how each value is escaped; see ``docs/template-expressions.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from functools import lru_cache

from deskline.templates.expressions.errors import ExpressionSyntaxError
from deskline.templates.expressions.evaluator import Evaluator
from deskline.templates.expressions.functions import KNOWN_FUNCTIONS, FunctionSpec
from deskline.templates.expressions.nodes import Node, Text
from deskline.templates.expressions.parser import parse
from deskline.templates.expressions.writers import RenderMode, writer_for

__all__ = [
    "KNOWN_FUNCTIONS",
    "CompiledTemplate",
    "ExpressionSyntaxError",
    "FunctionSpec",
    "RenderContext",
    "RenderMode",
    "compile_template",
]


@dataclass(frozen=True)
class RenderContext:
    """The values a template is rendered with.

    ``values`` maps variable names to JSON-kind values; ``trusted`` names the variables that
    are admin configuration (they go into URLs as entered); ``tz`` is the PBX time zone used
    by ``TimeFormat`` without the UTC flag.
    """

    values: Mapping[str, object]
    trusted: frozenset[str] = field(default_factory=frozenset)
    tz: tzinfo = UTC


class CompiledTemplate:
    """A parsed template, ready to render any number of times."""

    __slots__ = ("_nodes", "functions", "is_constant", "source", "variables")

    def __init__(
        self, source: str, nodes: tuple[Node, ...], variables: frozenset[str],
        functions: frozenset[str],
    ) -> None:  # fmt: skip
        self.source = source
        self._nodes = nodes
        self.variables = variables
        self.functions = functions
        self.is_constant = all(isinstance(node, Text) for node in nodes)

    def __repr__(self) -> str:
        return f"CompiledTemplate({self.source[:60]!r}{'...' if len(self.source) > 60 else ''})"

    def render(self, ctx: RenderContext, mode: RenderMode = RenderMode.TEXT) -> str:
        """The template's output for ``ctx``, escaped for ``mode``.

        Raises :class:`deskline.errors.TemplateRenderError` when a value cannot be placed
        safely (a JSON body that does not parse, a line break in a header, ...).
        """
        writer = writer_for(mode)
        Evaluator(ctx.values, ctx.trusted, ctx.tz, writer).run(self._nodes, ctx.values)
        return writer.finish()


@lru_cache(maxsize=2048)
def compile_template(source: str) -> CompiledTemplate:
    """Compiles ``source`` (cached); raises :class:`ExpressionSyntaxError` with the offset."""
    parsed = parse(source)
    return CompiledTemplate(source, parsed.nodes, parsed.variables, parsed.functions)
