"""Every expression compiles, uses defined variables, and renders sensibly with sample values.

Variable scopes (what is defined where) follow the run order of the runtime: the global
variables, the scenario's built-ins and parameters, then the Outputs of the requests that ran
before in the same chain (in a sequence scenario such as CreateNewTicket, the requests before;
in a lookup scenario, where each request is its own contact type, only its own chain).
"""

from __future__ import annotations

import re

from deskline.errors import TemplateError, TemplateRenderError
from deskline.templates.checks.reporter import Reporter
from deskline.templates.expressions import (
    CompiledTemplate,
    ExpressionSyntaxError,
    RenderContext,
    RenderMode,
    compile_template,
)
from deskline.templates.model.nodes import Parameter, Request, Scenario, XmlNode
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.model.vocabulary import ParameterFather, ParameterType, ScenarioId
from deskline.templates.paths import PathSyntaxError, check_path
from deskline.templates.paths_in_file import (
    ROOT_PATH,
    output_path,
    parameter_path,
    request_path,
    scenario_path,
)
from deskline.templates.variables import (
    ALTERNATIVE_REQUEST_SCENARIOS,
    EVERYWHERE,
    all_builtin_variables,
    builtin_variables,
    sample_value,
)

_PATH_SETTINGS = frozenset({"NextLinkPath", "ContactFieldForUri"})
_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


class ExpressionChecker:
    """Checks the expressions of one template; ``used`` collects every variable referenced."""

    def __init__(self, template: HelpdeskTemplate, report: Reporter) -> None:
        self.template = template
        self.report = report
        self.used: set[str] = set()
        self.trusted = frozenset(f.name for f in template.custom_fields)
        follow_ups = [o.name for r in template.follow_up_requests() for o in r.output_items]
        root_names = [p.name for p in template.parameters]
        self.global_names = (
            set(self.trusted) | set(EVERYWHERE) | {n for n in follow_ups + root_names if n}
        )

    def run(self) -> None:
        for parameter in self.template.parameters:
            self._parameter(parameter, f"{ROOT_PATH}/Parameters", self.global_names)
        for scenario in self.template.scenarios:
            self._scenario(scenario)

    # --- scopes ----------------------------------------------------------------------------

    def _base(self, scenario: Scenario) -> set[str]:
        own = {
            p.name
            for p in scenario.parameters
            if p.name and p.father != ParameterFather.POPULATE_TEMPLATE_STRING
        }
        return self.global_names | builtin_variables(scenario.id) | own

    def _request_scopes(self, scenario: Scenario) -> dict[int, set[str]]:
        base = self._base(scenario)
        targets = {r.next_request_name for r in scenario.requests} - {None}
        alternatives = scenario.id in {s.value for s in ALTERNATIVE_REQUEST_SCENARIOS}
        scopes: dict[int, set[str]] = {}
        carried = set(base)
        for request in scenario.requests:
            if request.name in targets:
                continue
            available = set(base) if alternatives else set(carried)
            for step in self.template.request_chain(scenario, request):
                scopes.setdefault(id(step), set()).update(available)
                available |= {o.name for o in step.output_items if o.name}
            if not alternatives:
                carried = available
        return scopes

    def _common_scopes(self) -> dict[int, set[str]]:
        scopes: dict[int, set[str]] = {}
        for scenario in self.template.scenarios:
            if scenario.id == ScenarioId.COMMON:
                continue
            for key, names in self._request_scopes(scenario).items():
                scopes.setdefault(key, set()).update(names)
        return scopes

    # --- walking ---------------------------------------------------------------------------

    def _scenario(self, scenario: Scenario) -> None:
        path = scenario_path(scenario)
        base = self._base(scenario)
        if scenario.id == ScenarioId.COMMON:
            scopes = self._common_scopes()
            fallback = self.global_names | all_builtin_variables()
        else:
            scopes = self._request_scopes(scenario)
            fallback = base
        lookup = scenario.id in (ScenarioId.SYNC_CONTACT_AUTO, ScenarioId.SEARCH_CONTACT)
        all_outputs = {
            o.name
            for r in scenario.requests
            for step in self.template.request_chain(scenario, r)
            for o in step.output_items
            if o.name
        }
        for parameter in scenario.parameters:
            if parameter.father == ParameterFather.POPULATE_TEMPLATE_STRING:
                scope = self.global_names
            elif lookup and parameter.name in ("URLFormat", "ContactFieldForUri"):
                scope = base | all_outputs | {"ContactId"}
            else:
                scope = base
            self._parameter(parameter, path, scope)
        for request in scenario.requests:
            self._request(scenario, request, scopes.get(id(request), fallback))

    def _parameter(self, parameter: Parameter, parent_path: str, scope: set[str]) -> None:
        if parameter.father == ParameterFather.TOKEN_ERROR_MAP:
            return
        mode = RenderMode.TEXT
        if parameter.type == ParameterType.BODY:
            mode = RenderMode.JSON
        elif parameter.type == ParameterType.HEADER:
            mode = RenderMode.HEADER
        elif parameter.name in _PATH_SETTINGS:
            mode = RenderMode.PATH
        path = parameter_path(parent_path, parameter)
        self.check(parameter.value, parameter, "Value", path, scope, mode)

    def _request(self, scenario: Scenario, request: Request, scope: set[str]) -> None:
        path = request_path(scenario, request)
        self.check(request.url_format, request, "URLFormat", path, scope, RenderMode.URL)
        for parameter in request.parameters:
            self._parameter(parameter, path, scope)
        for output in request.output_items:
            self.check(
                output.path, output, "Path", output_path(path, output), scope, RenderMode.PATH
            )

    # --- one value -------------------------------------------------------------------------

    def check(
        self,
        source: str | None,
        node: XmlNode,
        attribute: str,
        path: str,
        scope: set[str],
        mode: RenderMode,
    ) -> None:
        if not source:
            return
        try:
            compiled = compile_template(source)
        except ExpressionSyntaxError as exc:
            self.report.error("expression", exc.message, path, node, attribute, exc.offset)
            return
        self.used |= compiled.variables
        for name in sorted(compiled.variables - scope):
            self.report.warning(
                "undefined-variable",
                f"variable {name!r} is never defined here (it renders empty)",
                path,
                node,
                attribute,
                _variable_offset(source, name),
            )
        if mode is RenderMode.JSON:
            self._check_json(compiled, node, attribute, path)
        elif mode is RenderMode.PATH:
            self._check_path(compiled, node, attribute, path)

    def _samples(self, compiled: CompiledTemplate) -> RenderContext:
        values = {name: sample_value(name) for name in compiled.variables}
        return RenderContext(values, trusted=self.trusted)

    def _check_json(
        self, compiled: CompiledTemplate, node: XmlNode, attribute: str, path: str
    ) -> None:
        try:
            compiled.render(self._samples(compiled), RenderMode.JSON)
        except TemplateRenderError as exc:
            self.report.error(
                "json-body",
                f"with sample values, {exc}",
                path,
                node,
                attribute,
            )

    def _check_path(
        self, compiled: CompiledTemplate, node: XmlNode, attribute: str, path: str
    ) -> None:
        try:
            rendered = compiled.render(self._samples(compiled), RenderMode.PATH)
        except TemplateError as exc:
            self.report.error("path", f"the path cannot be rendered: {exc}", path, node, attribute)
            return
        if not rendered.strip():
            return
        try:
            check_path(rendered)
        except PathSyntaxError as exc:
            offset = exc.offset if compiled.is_constant else None
            self.report.error("path", f"bad path: {exc.message}", path, node, attribute, offset)


def _variable_offset(source: str, name: str) -> int | None:
    """Where ``.name`` first appears inside a ``{{ }}`` action of ``source``."""
    pattern = re.compile(r"(?<![\w)\]])\." + re.escape(name) + r"(?!\w)")
    for action in _ACTION.finditer(source):
        match = pattern.search(source, action.start(), action.end())
        if match:
            return match.start()
    return None


def check_expressions(template: HelpdeskTemplate, report: Reporter) -> frozenset[str]:
    """Runs the checks; returns the names of all variables the template uses."""
    checker = ExpressionChecker(template, report)
    checker.run()
    return frozenset(checker.used)
