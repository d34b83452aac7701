"""Validate a helpdesk template and report every problem at once.

::

    report = validate_file("acme.xml")
    for problem in report.problems:
        print(problem.format("acme.xml"))      # acme.xml:12:9: Scenario[@Id='…']/…: message
    report.raise_for_errors()                  # TemplateProblemsError if any error

Errors make deskline refuse a template; warnings point at things that run but probably not as
meant (an undefined variable renders empty). The rules and their messages are listed in
docs/templates.md ("Validation").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from deskline.templates.checks.auth import check_auth
from deskline.templates.checks.expressions import check_expressions
from deskline.templates.checks.lookup import check_contact_lookup, check_user_association
from deskline.templates.checks.reporter import Reporter
from deskline.templates.checks.requests import check_requests
from deskline.templates.checks.structure import check_root, check_scenarios
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.problems import Problem, Severity, TemplateProblemsError
from deskline.templates.summary import TemplateSummary, summarize
from deskline.templates.xml_loader import parse_template


@dataclass
class ValidationReport:
    """The problems found, and (when the XML could be read) the template and its summary."""

    problems: list[Problem]
    template: HelpdeskTemplate | None = None
    summary: TemplateSummary | None = None
    filename: str = "<template>"
    variables_used: frozenset[str] = field(default_factory=frozenset)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        if self.errors:
            raise TemplateProblemsError(self.errors, self.filename)


def validate_template(
    template: HelpdeskTemplate, notes: Iterable[Problem] = (), filename: str = "<template>"
) -> ValidationReport:
    """Run every check on a loaded (or built) template."""
    reporter = Reporter(list(notes))
    check_root(template, reporter)
    check_scenarios(template, reporter)
    check_auth(template, reporter)
    check_requests(template, reporter)
    check_contact_lookup(template, reporter)
    check_user_association(template, reporter)
    used = check_expressions(template, reporter)
    problems = sorted(reporter.problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))
    return ValidationReport(problems, template, summarize(template, used), filename, used)


def validate_source(content: str | bytes, filename: str = "<template>") -> ValidationReport:
    """Load and validate XML text; unreadable XML is reported, not raised."""
    try:
        loaded = parse_template(content, filename)
    except TemplateProblemsError as exc:
        return ValidationReport(exc.problems, filename=filename)
    return validate_template(loaded.template, loaded.notes, filename)


def validate_file(path: str | Path) -> ValidationReport:
    path = Path(path)
    return validate_source(path.read_bytes(), str(path))


def load_valid_template(content: str | bytes, filename: str = "<template>") -> HelpdeskTemplate:
    """Load a template and refuse it (:class:`TemplateProblemsError`) if it has errors."""
    report = validate_source(content, filename)
    report.raise_for_errors()
    assert report.template is not None
    return report.template
