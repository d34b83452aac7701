"""Problems found in a template: what, where (line, column, element path) and how bad."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from deskline.errors import TemplateError


class Severity(StrEnum):
    ERROR = "error"  # deskline refuses the template
    WARNING = "warning"  # the template runs, but probably not as its author meant


@dataclass(frozen=True)
class Problem:
    """``path`` is like ``Scenario[@Id='X']/Requests/Request[@Name='y']/@URLFormat``."""

    severity: Severity
    code: str
    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None

    def format(self, filename: str) -> str:
        """``FILE:LINE:COL: PATH: message`` (warnings say so)."""
        where = filename
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        path = f" {self.path}:" if self.path else ""
        return f"{where}:{path} {prefix}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
        }


class TemplateProblemsError(TemplateError):
    """A template cannot be used; carries every problem found."""

    def __init__(self, problems: Sequence[Problem], filename: str = "<template>") -> None:
        self.problems = list(problems)
        self.filename = filename
        lines = [p.format(filename) for p in self.problems]
        super().__init__("\n".join(lines) if lines else "the template is invalid")
