"""Element paths used in problem reports, e.g.

``Scenario[@Id='CreateNewTicket']/Requests/Request[@Name='x']/@URLFormat``.

Paths are relative to ``<Information>`` (written ``Information`` for the root itself), and the
``Scenarios`` container is left out: a scenario is the first step of everything inside it.
"""

from __future__ import annotations

from deskline.templates.model.nodes import Output, Parameter, Request, Scenario

ROOT_PATH = "Information"


def step(tag: str, attribute: str, value: str | None) -> str:
    """``Tag[@Attr='value']`` (just ``Tag`` when the element has no such attribute)."""
    if value is None:
        return tag
    quote = '"' if "'" in value else "'"
    return f"{tag}[@{attribute}={quote}{value}{quote}]"


def scenario_path(scenario: Scenario) -> str:
    return step("Scenario", "Id", scenario.id)


def request_path(scenario: Scenario, request: Request) -> str:
    return f"{scenario_path(scenario)}/Requests/{step('Request', 'Name', request.name)}"


def parameter_path(parent_path: str, parameter: Parameter) -> str:
    return f"{parent_path}/Parameters/{step('Parameter', 'Name', parameter.name)}"


def output_path(request_path_: str, output: Output) -> str:
    return f"{request_path_}/Outputs/{step('Output', 'Name', output.name)}"


def attribute_path(path: str, attribute: str) -> str:
    return f"{path}/@{attribute}"
