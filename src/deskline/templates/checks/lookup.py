"""Contact lookup mapping (SyncContactAuto) and user association (outputs, pagination)."""

from __future__ import annotations

from deskline.templates.checks.reporter import Reporter
from deskline.templates.model.nodes import Scenario
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.model.views import parse_enum, parse_int
from deskline.templates.model.vocabulary import (
    ContactField,
    ContactUrlType,
    PaginationType,
    ScenarioId,
    UserField,
)
from deskline.templates.paths_in_file import parameter_path, request_path, scenario_path

_REQUIRED_BY_PAGINATION: dict[PaginationType, tuple[str, ...]] = {
    PaginationType.DISABLED: (),
    PaginationType.PAGE: ("PageParamName", "PageSizeParamName"),
    PaginationType.OFFSET: ("OffsetParamName", "LimitParamName"),
    PaginationType.LINK: ("NextLinkPath",),
}
_NUMBERS_BY_PAGINATION: dict[PaginationType, tuple[tuple[str, int], ...]] = {
    PaginationType.DISABLED: (),
    PaginationType.PAGE: (("PageStart", 0), ("PageSize", 1)),
    PaginationType.OFFSET: (("OffsetStart", 0), ("Limit", 1)),
    PaginationType.LINK: (),
}


def check_contact_lookup(template: HelpdeskTemplate, report: Reporter) -> None:
    scenario = template.scenario(ScenarioId.SYNC_CONTACT_AUTO)
    if scenario is None:
        return
    path = scenario_path(scenario)
    if not scenario.requests:
        report.error(
            "contact-mapping",
            "SyncContactAuto needs at least one request (one per contact type)",
            path,
            scenario,
        )
    for required in (ContactField.CONTACT_ID, ContactField.FIRST_NAME):
        flag = scenario.parameter(required.enable_parameter)
        if flag is not None and (flag.value or "").strip() == "0":
            report.error(
                "contact-mapping",
                f"{required.value} is required: {required.enable_parameter} cannot be 0",
                parameter_path(path, flag),
                flag,
                "Value",
            )
    for mapping in template.contact_types(ScenarioId.SYNC_CONTACT_AUTO):
        where = request_path(scenario, mapping.request)
        for required in (ContactField.CONTACT_ID, ContactField.FIRST_NAME):
            if required not in mapping.fields and scenario.flag(required.enable_parameter, True):
                report.error(
                    "contact-mapping",
                    f"contact type {mapping.name!r} maps no "
                    f'{required.value}: add <Output Name="{required.value}" '
                    'Path="…"/>',
                    where,
                    mapping.request,
                )
        if not mapping.phone_fields:
            report.error(
                "contact-mapping",
                f"contact type {mapping.name!r} needs at least one "
                'enabled phone field with a Path (e.g. BusinessNumberEnable="1" and '
                '<Output Name="BusinessNumber" Path="…"/>)',
                where,
                mapping.request,
            )
    _check_contact_url(scenario, report)


def _check_contact_url(scenario: Scenario, report: Reporter) -> None:
    path = scenario_path(scenario)
    parameter = scenario.parameter("ContactUrlType")
    url_type = parse_enum(ContactUrlType, scenario.setting("ContactUrlType"))
    if parameter is not None and parameter.value and url_type is None:
        report.error(
            "contact-url",
            "ContactUrlType must be specify_url_format or contact_field "
            f"(found {parameter.value!r})",
            parameter_path(path, parameter),
            parameter,
            "Value",
        )
        return
    needed = "ContactFieldForUri" if url_type is ContactUrlType.CONTACT_FIELD else "URLFormat"
    if not (scenario.setting(needed) or "").strip():
        target = scenario.parameter(needed)
        report.error(
            "contact-url",
            f"the screen-pop URL needs {needed} (ContactUrlType "
            f"{(url_type or ContactUrlType.SPECIFY_URL_FORMAT).value})",
            parameter_path(path, target) if target else f"{path}/Parameters",
            target or scenario,
            "Value" if target else None,
        )


def check_user_association(template: HelpdeskTemplate, report: Reporter) -> None:
    scenario = template.scenario(ScenarioId.USER_ASSOCIATION)
    if scenario is None:
        return
    for request in scenario.requests[:1]:
        mapped = {
            o.name
            for step in template.request_chain(scenario, request)
            for o in step.output_items
            if (o.path or "").strip()
        }
        if UserField.USER_UNIQUE_ID.value not in mapped:
            report.error(
                "user-mapping",
                "the users request must map UserUniqueId (<Output "
                'Name="UserUniqueId" Path="users.#.id"/>)',
                request_path(scenario, request),
                request,
            )
    _check_pagination(scenario, report)


def _check_pagination(scenario: Scenario, report: Reporter) -> None:
    path = scenario_path(scenario)
    parameter = scenario.parameter("PaginationType")
    pagination = parse_enum(PaginationType, scenario.setting("PaginationType"))
    if parameter is not None and parameter.value and pagination is None:
        report.error(
            "pagination",
            f"PaginationType must be disabled, page, offset or link (found {parameter.value!r})",
            parameter_path(path, parameter),
            parameter,
            "Value",
        )
        return
    pagination = pagination or PaginationType.DISABLED
    for name in _REQUIRED_BY_PAGINATION[pagination]:
        if not (scenario.setting(name) or "").strip():
            target = scenario.parameter(name)
            report.error(
                "pagination",
                f"PaginationType {pagination.value} needs {name}",
                parameter_path(path, target) if target else f"{path}/Parameters",
                target or scenario,
                "Value" if target else None,
            )
    for name, minimum in _NUMBERS_BY_PAGINATION[pagination]:
        target = scenario.parameter(name)
        value = (target.value or "").strip() if target else ""
        number = parse_int(value)
        if target is not None and value and (number is None or number < minimum):
            report.error(
                "pagination",
                f"{name} must be a whole number of at least {minimum} (found {value!r})",
                parameter_path(path, target),
                target,
                "Value",
            )
    used = {n for names in _REQUIRED_BY_PAGINATION.values() for n in names}
    used |= {n for pairs in _NUMBERS_BY_PAGINATION.values() for n, _ in pairs}
    relevant = set(_REQUIRED_BY_PAGINATION[pagination]) | {
        n for n, _ in _NUMBERS_BY_PAGINATION[pagination]
    }
    for name in sorted(used - relevant):
        target = scenario.parameter(name)
        if target is not None and (target.value or "").strip():
            report.warning(
                "pagination",
                f"{name} is ignored with PaginationType {pagination.value}",
                parameter_path(path, target),
                target,
                "Value",
            )
