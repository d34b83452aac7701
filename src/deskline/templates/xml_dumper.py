"""Write a template back in the vendor's XML format.

Attributes keep the order they were loaded in; values are escaped so that they load back
exactly (``&quot;`` in JSON bodies, ``&#xA;`` for line breaks, which XML would otherwise turn
into blanks). The layout is fixed (two-space indentation, one element per line), so
``dump(load(dump(t)))`` is the same text as ``dump(t)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from deskline.templates.model.nodes import (
    Outputs,
    Parameter,
    Request,
    Scenario,
    XmlElement,
    XmlNode,
)
from deskline.templates.model.template import HelpdeskTemplate

_INDENT = "  "
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\n": "&#xA;", "\r": "&#xD;", "\t": "&#x9;"}
)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def dump_template(template: HelpdeskTemplate) -> str:
    """The template as XML text (with declaration, ending in a newline)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    children = [
        _container("Parameters", [_node(p, 2) for p in template.parameters], 1),
        _container("Scenarios", [_scenario(s, 2) for s in template.scenarios], 1),
        *(_generic(e, 1) for e in template.extra_elements),
    ]
    lines.append(_element(template, 0, children))
    return "\n".join(lines) + "\n"


def dump_template_file(template: HelpdeskTemplate, path: str | Path) -> None:
    Path(path).write_text(dump_template(template), encoding="utf-8")


def _scenario(scenario: Scenario, depth: int) -> str:
    inner = depth + 1
    children: list[str] = []
    if scenario.presets is not None:
        children.append(
            _container("Presets", [_generic(e, inner + 1) for e in scenario.presets], inner)
        )
    children.append(
        _container("Parameters", [_node(p, inner + 1) for p in scenario.parameters], inner)
    )
    children.append(
        _container("Requests", [_request(r, inner + 1) for r in scenario.requests], inner)
    )
    if scenario.responses is not None:
        children.append(
            _container("Responses", [_generic(e, inner + 1) for e in scenario.responses], inner)
        )
    children.extend(_generic(e, inner) for e in scenario.extra_elements)
    return _element(scenario, depth, children)


def _request(request: Request, depth: int) -> str:
    inner = depth + 1
    children = [_container("Parameters", [_node(p, inner + 1) for p in request.parameters], inner)]
    if request.outputs is not None:
        children.append(_outputs(request.outputs, inner))
    children.extend(_generic(e, inner) for e in request.extra_elements)
    return _element(request, depth, children)


def _outputs(outputs: Outputs, depth: int) -> str:
    children = [_node(o, depth + 1) for o in outputs.items]
    children.extend(_generic(e, depth + 1) for e in outputs.extra_elements)
    return _element(outputs, depth, children)


def _node(node: Parameter | XmlNode, depth: int) -> str:
    return _element(node, depth, [_generic(e, depth + 1) for e in node.extra_elements])


def _element(node: XmlNode, depth: int, children: list[str]) -> str:
    return _tag(node.XML_TAG, node.xml_attributes(), depth, children)


def _container(tag: str, children: list[str], depth: int) -> str:
    return _tag(tag, (), depth, children)


def _generic(element: XmlElement, depth: int) -> str:
    children = [_generic(c, depth + 1) for c in element.children]
    if element.text is not None and not children:
        pad = _INDENT * depth
        opening = f"{pad}<{element.tag}{_attributes(element.attributes.items())}>"
        return f"{opening}{element.text.translate(_TEXT_ESCAPES)}</{element.tag}>"
    if element.text is not None:
        children.insert(0, _INDENT * (depth + 1) + element.text.translate(_TEXT_ESCAPES))
    return _tag(element.tag, element.attributes.items(), depth, children)


def _tag(tag: str, attributes: Iterable[tuple[str, str]], depth: int, children: list[str]) -> str:
    pad = _INDENT * depth
    opening = f"{pad}<{tag}{_attributes(attributes)}"
    if not children:
        return opening + "/>"
    return "\n".join([opening + ">", *children, f"{pad}</{tag}>"])


def _attributes(attributes: Iterable[tuple[str, str]]) -> str:
    return "".join(f' {name}="{value.translate(_ATTRIBUTE_ESCAPES)}"' for name, value in attributes)
