"""The data side of the template engine: the typed model of a helpdesk template, its XML
loader and dumper, validation, and (in subpackages) expressions and JSON paths.

::

    from deskline.templates import load_template_file, dump_template
    from deskline.templates.validation import validate_file

Validation is imported from :mod:`deskline.templates.validation` (it needs the expression
engine; keeping it out of this module avoids an import cycle with ``templates.expressions``).
"""

from deskline.templates.model import HelpdeskTemplate, Request, Scenario, ScenarioId
from deskline.templates.problems import Problem, Severity, TemplateProblemsError
from deskline.templates.xml_dumper import dump_template, dump_template_file
from deskline.templates.xml_loader import (
    LoadedTemplate,
    load_template,
    load_template_file,
    parse_template,
    parse_template_file,
)

__all__ = [
    "HelpdeskTemplate",
    "LoadedTemplate",
    "Problem",
    "Request",
    "Scenario",
    "ScenarioId",
    "Severity",
    "TemplateProblemsError",
    "dump_template",
    "dump_template_file",
    "load_template",
    "load_template_file",
    "parse_template",
    "parse_template_file",
]
