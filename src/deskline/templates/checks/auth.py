"""The AuthMethod scenario: auth settings, custom fields and default headers."""

from __future__ import annotations

import re

from deskline.templates.checks.reporter import Reporter
from deskline.templates.model.nodes import Parameter, Scenario
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.model.views import parse_enum, parse_int
from deskline.templates.model.vocabulary import (
    MAX_CUSTOM_FIELDS,
    MAX_HEADERS,
    AuthType,
    CredentialType,
    Editor,
    HttpMethod,
    ParameterFather,
    ParameterType,
    ScenarioId,
    TokenContentType,
)
from deskline.templates.paths_in_file import parameter_path, scenario_path
from deskline.templates.variables import all_builtin_variables

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def check_auth(template: HelpdeskTemplate, report: Reporter) -> None:
    scenario = template.scenario(ScenarioId.AUTH_METHOD)
    if scenario is None:
        return
    path = scenario_path(scenario)
    method_parameter = scenario.parameter("AuthMethod")
    method = parse_enum(AuthType, scenario.setting("AuthMethod"))
    if method_parameter is not None and method_parameter.value and method is None:
        report.error(
            "auth-method",
            "AuthMethod must be one of none, basic, oauth2, bearer_token "
            f"(found {method_parameter.value!r})",
            parameter_path(path, method_parameter),
            method_parameter,
            "Value",
        )
    root = template.auth_type_value
    if method is not None and root is not None and method is not root and method_parameter:
        report.error(
            "auth-method",
            f"AuthMethod {method.value!r} contradicts the root AuthType {root.value!r}",
            parameter_path(path, method_parameter),
            method_parameter,
            "Value",
        )
    effective = method or root
    if effective is AuthType.OAUTH2:
        _check_oauth2(scenario, report)
    elif effective is AuthType.BASIC:
        _check_basic(scenario, report)
    elif effective is AuthType.BEARER_TOKEN:
        _check_bearer(template, scenario, report)
    _check_custom_fields(scenario, report)
    _check_headers(scenario, report)


def _require(scenario: Scenario, names: tuple[str, ...], why: str, report: Reporter) -> None:
    for name in names:
        if not (scenario.setting(name) or "").strip():
            parameter = scenario.parameter(name)
            where = (
                parameter_path(scenario_path(scenario), parameter)
                if parameter
                else (f"{scenario_path(scenario)}/Parameters")
            )
            report.error(
                "auth-setting",
                f"{why} needs {name}",
                where,
                parameter or scenario,
                "Value" if parameter else None,
            )


def _check_choice(scenario: Scenario, name: str, allowed: list[str], report: Reporter) -> None:
    parameter = scenario.parameter(name)
    value = (parameter.value or "").strip() if parameter else ""
    if parameter is not None and value and value not in allowed:
        report.error(
            "auth-setting",
            f"{name} must be one of {', '.join(allowed)} (found {value!r})",
            parameter_path(scenario_path(scenario), parameter),
            parameter,
            "Value",
        )


def _check_oauth2(scenario: Scenario, report: Reporter) -> None:
    _require(scenario, ("AuthEndPoint", "TokenEndPoint"), "OAuth2", report)
    content_types = [c.value for c in TokenContentType]
    _check_choice(scenario, "TokenContentType", content_types, report)
    _check_choice(scenario, "RefreshTokenContentType", content_types, report)
    _check_choice(scenario, "RefreshTokenMethod", [m.value for m in HttpMethod], report)
    _check_choice(scenario, "PKCE", ["S256"], report)
    interval = scenario.parameter("RefreshTokenInterval")
    value = (interval.value or "").strip() if interval else ""
    if interval is not None and value and (parse_int(value) is None or int(value) < 0):
        report.error(
            "auth-setting",
            "RefreshTokenInterval must be a number of minutes "
            f"(0 = never, empty = 25); found {value!r}",
            parameter_path(scenario_path(scenario), interval),
            interval,
            "Value",
        )


def _check_basic(scenario: Scenario, report: Reporter) -> None:
    _require(scenario, ("CredentialType", "Base64EncodedCredential"), "Basic auth", report)
    _check_choice(scenario, "CredentialType", [c.value for c in CredentialType], report)


def _check_bearer(template: HelpdeskTemplate, scenario: Scenario, report: Reporter) -> None:
    field_names = {f.name for f in template.custom_fields}
    follow_up_outputs = {
        o.name for r in template.follow_up_requests() for o in r.output_items if o.name
    }
    if (
        "AccessToken" in field_names | follow_up_outputs
        or (scenario.setting("TokenEndPoint") or "").strip()
    ):
        return
    report.error(
        "auth-setting",
        "bearer_token needs a source for AccessToken: a custom field "
        "named AccessToken, a FollowUpRequests output named AccessToken, or a "
        "TokenEndPoint",
        f"{scenario_path(scenario)}/Parameters",
        scenario,
    )


def _check_custom_fields(scenario: Scenario, report: Reporter) -> None:
    fields = scenario.parameters_of(ParameterFather.CUSTOM_FIELD_LIST)
    builtins = all_builtin_variables()
    seen: set[str] = set()
    for index, field in enumerate(fields):
        path = parameter_path(scenario_path(scenario), field)
        if index == MAX_CUSTOM_FIELDS:
            report.error(
                "custom-field-count",
                f"at most {MAX_CUSTOM_FIELDS} custom fields are allowed (found {len(fields)})",
                path,
                field,
            )
        name = field.name or ""
        if not _IDENTIFIER.match(name):
            report.error(
                "custom-field-name",
                f"custom field name {name!r} must be a variable "
                "name (letters, digits, '_'; not starting with a digit)",
                path,
                field,
                "Name" if field.name is not None else None,
            )
        elif name in seen:
            report.error(
                "custom-field-name", f"custom field {name!r} is defined twice", path, field, "Name"
            )
        elif name in builtins:
            report.warning(
                "custom-field-name",
                f"custom field {name!r} hides the built-in variable of that name",
                path,
                field,
                "Name",
            )
        seen.add(name)
        _check_editor(field, path, report)


def _check_editor(field: Parameter, path: str, report: Reporter) -> None:
    editor = parse_enum(Editor, field.editor)
    if field.editor and editor is None:
        report.error(
            "custom-field-editor",
            f"Editor must be string, password or select (found {field.editor!r})",
            path,
            field,
            "Editor",
        )
    options = [o for o in (field.options or "").split(",") if o.strip()]
    if editor is Editor.SELECT and not options:
        report.error("custom-field-options", 'a select field needs Options="a,b,c"', path, field)
    if editor is not Editor.SELECT and options:
        report.warning(
            "custom-field-options", "Options are only used by select fields", path, field, "Options"
        )
    if field.required not in (None, "", "0", "1"):
        report.error(
            "flag", f"Required must be 0 or 1 (found {field.required!r})", path, field, "Required"
        )
    if not field.title:
        report.warning(
            "custom-field-title",
            "a custom field should have a Title (the label the admin sees)",
            path,
            field,
        )


def _check_headers(scenario: Scenario, report: Reporter) -> None:
    group = scenario.parameters_of(ParameterFather.POPULATE_TEMPLATE_STRING)
    headers = [p for p in group if p.type == ParameterType.HEADER]
    for parameter in group:
        if parameter.type != ParameterType.HEADER:
            report.warning(
                "header-type",
                f'PopulateTemplateString Type {parameter.type!r} is not used (only Type="Header")',
                parameter_path(scenario_path(scenario), parameter),
                parameter,
                "Type" if parameter.type else None,
            )
    seen: set[str] = set()
    for index, header in enumerate(headers):
        path = parameter_path(scenario_path(scenario), header)
        name = header.name or ""
        if index == MAX_HEADERS:
            report.error(
                "header-count",
                f"at most {MAX_HEADERS} custom headers are allowed (found {len(headers)})",
                path,
                header,
            )
        if not _HEADER_NAME.match(name):
            report.error(
                "header-name",
                f"{name!r} is not a valid header name",
                path,
                header,
                "Name" if header.name is not None else None,
            )
        elif name.lower() == "authorization":
            report.error(
                "header-authorization",
                "a custom Authorization header is refused: it "
                "would override the auth method's header",
                path,
                header,
                "Name",
            )
        elif name.lower() in seen:
            report.warning(
                "header-duplicate", f"header {name!r} is defined twice", path, header, "Name"
            )
        seen.add(name.lower())
