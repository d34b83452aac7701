"""Root attributes, features, scenario ids and their settings."""

from __future__ import annotations

import re

from deskline.templates.checks.reporter import Reporter
from deskline.templates.model.nodes import Scenario
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.model.vocabulary import (
    AuthType,
    Feature,
    ParameterFather,
    Provider,
    ScenarioId,
    ScenarioType,
)
from deskline.templates.paths_in_file import ROOT_PATH, parameter_path, scenario_path
from deskline.templates.settings_catalog import SCENARIO_SETTINGS, is_flag

_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_LOGO_SUFFIXES = (".png", ".jpg", ".jpeg")
_FEATURE_SCENARIOS = {
    Feature.USER_ASSOCIATION: ScenarioId.USER_ASSOCIATION,
    Feature.CALL_JOURNAL: ScenarioId.CALL_JOURNAL,
    Feature.CREATE_NEW_CONTACT: ScenarioId.CREATE_NEW_CONTACT,
    Feature.CREATE_NEW_TICKET: ScenarioId.CREATE_NEW_TICKET,
}
_KNOWN_FATHERS = {f.value for f in ParameterFather}


def check_root(template: HelpdeskTemplate, report: Reporter) -> None:
    t = template
    if t.provider is None:
        report.warning("provider", "Provider is missing (assumed 'helpdesk')", ROOT_PATH, t)
    elif t.provider != Provider.HELPDESK:
        report.error(
            "provider",
            f"Provider must be 'helpdesk' (found {t.provider!r})",
            ROOT_PATH,
            t,
            "Provider",
        )
    for attribute in ("Name", "Key"):
        if not (t.get_attribute(attribute) or "").strip():
            report.error("required-attribute", f"{attribute} is required", ROOT_PATH, t, attribute)
    if t.key and not _KEY.match(t.key):
        report.error(
            "key",
            f"Key {t.key!r} must be 1-64 letters, digits, '_', '.' or '-'",
            ROOT_PATH,
            t,
            "Key",
        )
    if t.logo and not t.logo.lower().endswith(_LOGO_SUFFIXES):
        report.warning(
            "logo",
            f"Logo {t.logo!r} should be a PNG (recommended), JPG or JPEG file",
            ROOT_PATH,
            t,
            "Logo",
        )
    if t.auth_type is None:
        report.error(
            "auth-type", "AuthType is required (none, basic, oauth2 or bearer_token)", ROOT_PATH, t
        )
    elif t.auth_type_value is None:
        report.error(
            "auth-type",
            f"AuthType must be one of none, basic, oauth2, bearer_token (found {t.auth_type!r})",
            ROOT_PATH,
            t,
            "AuthType",
        )
    _check_max_concurrent(t, report)
    for feature, scenario_id in _FEATURE_SCENARIOS.items():
        value = t.get_attribute(feature.value)
        if value not in (None, "", "0", "1"):
            report.error(
                "flag",
                f"{feature.value} must be 0 or 1 (found {value!r})",
                ROOT_PATH,
                t,
                feature.value,
            )
        elif t.feature_enabled(feature):
            scenario = t.scenario(scenario_id)
            if scenario is None or not scenario.requests:
                report.error(
                    "feature-without-scenario",
                    f'{feature.value}="1" but there is no {scenario_id.value} scenario '
                    "with a request",
                    ROOT_PATH,
                    t,
                    feature.value,
                )


def _check_max_concurrent(t: HelpdeskTemplate, report: Reporter) -> None:
    value = t.max_concurrent_request
    if value is None or not value.strip():
        report.warning(
            "max-concurrent", "MaxConcurrentRequest is missing (deskline uses 10)", ROOT_PATH, t
        )
        return
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number < 1:
        report.error(
            "max-concurrent",
            f"MaxConcurrentRequest must be a whole number of at least 1 (found {value!r})",
            ROOT_PATH,
            t,
            "MaxConcurrentRequest",
        )


def check_scenarios(template: HelpdeskTemplate, report: Reporter) -> None:
    seen: set[str] = set()
    known_ids = ", ".join(s.value for s in ScenarioId)
    for scenario in template.scenarios:
        path = scenario_path(scenario)
        if not scenario.id:
            report.error("scenario-id", "a Scenario needs an Id", path, scenario)
            continue
        try:
            scenario_id = ScenarioId(scenario.id)
        except ValueError:
            report.error(
                "unknown-scenario",
                f"unknown scenario Id {scenario.id!r} (known: {known_ids})",
                path,
                scenario,
                "Id",
            )
            continue
        if scenario.id in seen:
            report.error(
                "duplicate-scenario",
                f"scenario {scenario.id!r} is defined twice",
                path,
                scenario,
                "Id",
            )
        seen.add(scenario.id)
        expected = ScenarioType.AUTH if scenario_id is ScenarioId.AUTH_METHOD else ScenarioType.REST
        if scenario.type != expected:
            report.warning(
                "scenario-type",
                f"Type should be {expected.value!r} (found {scenario.type!r})",
                path,
                scenario,
                "Type" if scenario.type is not None else None,
            )
        _check_settings(scenario, scenario_id, report)
    if template.scenario(ScenarioId.SYNC_CONTACT_AUTO) is None:
        report.error(
            "missing-scenario",
            "a helpdesk template needs a SyncContactAuto scenario (contact lookup)",
            ROOT_PATH,
            template,
        )
    auth_type = template.auth_type_value
    if auth_type not in (None, AuthType.NONE) and template.scenario(ScenarioId.AUTH_METHOD) is None:
        report.error(
            "missing-scenario",
            f"AuthType {auth_type.value!r} needs an AuthMethod scenario with its settings",
            ROOT_PATH,
            template,
            "AuthType",
        )


def _check_settings(scenario: Scenario, scenario_id: ScenarioId, report: Reporter) -> None:
    known = SCENARIO_SETTINGS[scenario_id]
    path = scenario_path(scenario)
    for parameter in scenario.parameters:
        param_path = parameter_path(path, parameter)
        if not parameter.name:
            report.error("parameter-name", "a Parameter needs a Name", param_path, parameter)
            continue
        if parameter.father is not None and parameter.father not in _KNOWN_FATHERS:
            report.warning(
                "unknown-father",
                f"unknown Father {parameter.father!r} (known: {', '.join(sorted(_KNOWN_FATHERS))})",
                param_path,
                parameter,
                "Father",
            )
            continue
        if parameter.father not in (None, ParameterFather.AUTH_OPTION):
            continue
        if parameter.name not in known:
            report.warning(
                "unknown-parameter",
                f"unknown parameter {parameter.name!r} for scenario {scenario_id.value} "
                '(for an extra value use Father="CustomScenarioParameter")',
                param_path,
                parameter,
                "Name",
            )
        elif is_flag(parameter.name) and (parameter.value or "").strip() not in ("", "0", "1"):
            report.error(
                "flag",
                f"{parameter.name} must be 0 or 1 (found {parameter.value!r})",
                param_path,
                parameter,
                "Value",
            )
