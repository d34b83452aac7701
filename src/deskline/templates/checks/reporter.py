"""Collects problems with their element path and file position."""

from __future__ import annotations

from dataclasses import dataclass, field

from deskline.templates.model.nodes import XmlNode
from deskline.templates.paths_in_file import attribute_path
from deskline.templates.problems import Problem, Severity


@dataclass
class Reporter:
    """Every check reports here; nothing stops at the first problem."""

    problems: list[Problem] = field(default_factory=list)

    def error(
        self,
        code: str,
        message: str,
        path: str,
        node: XmlNode | None = None,
        attribute: str | None = None,
        offset: int | None = None,
    ) -> None:
        self.report(Severity.ERROR, code, message, path, node, attribute, offset)

    def warning(
        self,
        code: str,
        message: str,
        path: str,
        node: XmlNode | None = None,
        attribute: str | None = None,
        offset: int | None = None,
    ) -> None:
        self.report(Severity.WARNING, code, message, path, node, attribute, offset)

    def report(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: str,
        node: XmlNode | None = None,
        attribute: str | None = None,
        offset: int | None = None,
    ) -> None:
        line = column = None
        location = node.location if node is not None else None
        if location is not None:
            position = (
                location.attribute_position(attribute, offset)
                if attribute is not None
                else location.position()
            )
            line, column = position.line, position.column
        full_path = attribute_path(path, attribute) if attribute else path
        self.problems.append(Problem(severity, code, message, full_path, line, column))
