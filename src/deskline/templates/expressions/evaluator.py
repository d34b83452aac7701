"""Runs a parsed template against a context, sending literal text and values to a writer.

Only mapping lookups are performed on values (``.A.B`` reads keys of dicts); nothing calls
methods or reads attributes of Python objects, and loops are bounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo

from deskline.errors import TemplateRenderError
from deskline.templates.expressions.functions import KNOWN_FUNCTIONS
from deskline.templates.expressions.nodes import (
    WHOLE_CONTEXT,
    Action,
    Call,
    Dot,
    Field,
    If,
    Literal,
    Node,
    Operand,
    Pipeline,
    Range,
    SubPipeline,
    Text,
    With,
)
from deskline.templates.expressions.values import describe, is_true, to_text
from deskline.templates.expressions.writers import Value, Writer

MAX_RANGE_ITERATIONS = 10_000


class Evaluator:
    def __init__(
        self, root: Mapping[str, object], trusted: frozenset[str], tz: tzinfo, writer: Writer
    ) -> None:
        self._root = root
        self._trusted = trusted
        self._tz = tz
        self._writer = writer

    def run(self, nodes: tuple[Node, ...], dot: object) -> None:
        for node in nodes:
            if isinstance(node, Text):
                self._writer.literal(node.text)
            elif isinstance(node, Action):
                self._action(node, dot)
            elif isinstance(node, If):
                self._if(node, dot)
            elif isinstance(node, With):
                value = self.pipeline(node.value, dot)
                if is_true(value):
                    self.run(node.body, value)
                else:
                    self.run(node.otherwise, dot)
            else:
                self._range(node, dot)

    def _action(self, node: Action, dot: object) -> None:
        value = self.pipeline(node.pipeline, dot)
        trusted = WHOLE_CONTEXT not in node.roots and node.roots <= self._trusted
        self._writer.value(
            Value(
                text=to_text(value),
                trusted=trusted,
                url_encoded=node.pipeline.last_function == "UrlEncode",
                label=node.label,
            )
        )

    def _if(self, node: If, dot: object) -> None:
        for branch in node.branches:
            if is_true(self.pipeline(branch.condition, dot)):
                self.run(branch.body, dot)
                return
        self.run(node.otherwise, dot)

    def _range(self, node: Range, dot: object) -> None:
        value = self.pipeline(node.value, dot)
        elements: Sequence[object]
        if isinstance(value, Mapping):
            elements = [value[key] for key in sorted(value, key=str)]
        elif isinstance(value, Sequence) and not isinstance(value, str):
            elements = value
        elif value is None:
            elements = ()
        else:
            raise TemplateRenderError(f"range: cannot iterate over {describe(value)}")
        if len(elements) > MAX_RANGE_ITERATIONS:
            raise TemplateRenderError(f"range: more than {MAX_RANGE_ITERATIONS} elements")
        if not elements:
            self.run(node.otherwise, dot)
        for element in elements:
            self.run(node.body, element)

    def pipeline(self, pipeline: Pipeline, dot: object) -> object:
        value: object = None
        for position, command in enumerate(pipeline.commands):
            if isinstance(command, Call):
                args = [self._operand(arg, dot) for arg in command.args]
                if position:
                    args.append(value)
                value = KNOWN_FUNCTIONS[command.name].implementation(args, self._tz)
            else:
                value = self._operand(command, dot)
        return value

    def _operand(self, operand: Operand, dot: object) -> object:
        if isinstance(operand, Field):
            value: object = self._root if operand.from_root else dot
            for name in operand.names:
                value = value.get(name) if isinstance(value, Mapping) else None
            return value
        if isinstance(operand, Literal):
            return operand.value
        if isinstance(operand, Dot):
            return dot
        assert isinstance(operand, SubPipeline)
        return self.pipeline(operand.pipeline, dot)
