"""Requests: names, methods, URLs, bodies, outputs, triggers and ``Next`` chains."""

from __future__ import annotations

from deskline.templates.checks.reporter import Reporter
from deskline.templates.model.nodes import Request, Scenario
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.model.vocabulary import FollowUpTrigger, HttpMethod, ScenarioId
from deskline.templates.paths_in_file import output_path, request_path

_METHODS = ", ".join(m.value for m in HttpMethod)
_TRIGGERS = ", ".join(t.value for t in FollowUpTrigger)


def check_requests(template: HelpdeskTemplate, report: Reporter) -> None:
    reached: set[int] = set()
    cycles: set[frozenset[int]] = set()
    for scenario in template.scenarios:
        names: set[str] = set()
        for request in scenario.requests:
            path = request_path(scenario, request)
            if not request.name:
                report.error("request-name", "a Request needs a Name", path, request)
            elif request.name in names:
                report.error(
                    "duplicate-request",
                    f"request name {request.name!r} is used twice in scenario {scenario.id}",
                    path,
                    request,
                    "Name",
                )
            names.add(request.name or "")
            _check_request(scenario, request, path, report)
            _check_next(template, scenario, request, path, report, reached, cycles)
    common = template.scenario(ScenarioId.COMMON)
    if common is None:
        return
    for request in common.requests:
        if id(request) not in reached:
            report.warning(
                "unreached-request",
                f"request {request.name!r} in Common is never named by a Next",
                request_path(common, request),
                request,
            )


def _check_request(scenario: Scenario, request: Request, path: str, report: Reporter) -> None:
    method = (request.method or "GET").strip().upper()
    if method not in HttpMethod.__members__:
        report.error(
            "request-method",
            f"Method must be one of {_METHODS} (found {request.method!r})",
            path,
            request,
            "Method",
        )
    url = (request.url_format or "").strip()
    if not url:
        report.error(
            "request-url",
            "URLFormat is required",
            path,
            request,
            "URLFormat" if request.url_format is not None else None,
        )
    elif not url.startswith(("{{", "http://", "https://")):
        report.error(
            "request-url",
            "URLFormat must start with http:// or https://",
            path,
            request,
            "URLFormat",
        )
    if request.response_type and request.response_type.split(";")[0].strip() != "application/json":
        report.warning(
            "response-type",
            f"deskline reads JSON responses only (ResponseType {request.response_type!r})",
            path,
            request,
            "ResponseType",
        )
    bodies = [p for p in request.parameters if p.type == "Body"]
    if len(bodies) > 1:
        report.error(
            "request-body", 'a request has at most one Type="Body" parameter', path, bodies[1]
        )
    if bodies and method in ("GET", "DELETE"):
        report.warning(
            "request-body", f"a {method} request's body is usually ignored", path, bodies[0]
        )
    outputs_seen: set[str] = set()
    for output in request.output_items:
        out_path = output_path(path, output)
        if not output.name:
            report.error("output-name", "an Output needs a Name", out_path, output)
        elif output.name in outputs_seen:
            report.warning(
                "output-duplicate",
                f"Output {output.name!r} is defined twice",
                out_path,
                output,
                "Name",
            )
        outputs_seen.add(output.name or "")
    _check_trigger(scenario, request, path, report)


def _check_trigger(scenario: Scenario, request: Request, path: str, report: Reporter) -> None:
    if scenario.id != ScenarioId.FOLLOW_UP_REQUESTS:
        if request.trigger is not None:
            report.warning(
                "trigger",
                "Trigger is only used in the FollowUpRequests scenario",
                path,
                request,
                "Trigger",
            )
        return
    if not request.trigger:
        report.error("trigger", f"a follow-up request needs a Trigger ({_TRIGGERS})", path, request)
    elif request.trigger not in {t.value for t in FollowUpTrigger}:
        report.error(
            "trigger",
            f"Trigger must be one of {_TRIGGERS} (found {request.trigger!r})",
            path,
            request,
            "Trigger",
        )


def _check_next(
    template: HelpdeskTemplate,
    scenario: Scenario,
    request: Request,
    path: str,
    report: Reporter,
    reached: set[int],
    cycles: set[frozenset[int]],
) -> None:
    name = request.next_request_name
    if name is None or request.outputs is None:
        return
    target = template.resolve_next(scenario, name)
    if target is None:
        report.error(
            "next-unknown",
            f"Next={name!r} names no request in this scenario or in Common",
            f"{path}/Outputs",
            request.outputs,
            "Next",
        )
        return
    reached.add(id(target))
    chain = [request]
    current: Request | None = target
    while current is not None:
        if any(current is seen for seen in chain):
            key = frozenset(id(r) for r in chain)
            if current is request and key not in cycles:
                cycles.add(key)
                loop = " → ".join([*(r.name or "?" for r in chain), request.name or "?"])
                report.error(
                    "next-cycle",
                    f"Next chain loops: {loop}",
                    f"{path}/Outputs",
                    request.outputs,
                    "Next",
                )
            return
        chain.append(current)
        reached.add(id(current))
        following = current.next_request_name
        current = template.resolve_next(scenario, following) if following else None
