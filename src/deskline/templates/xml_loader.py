"""Load a helpdesk template from XML into the faithful model.

Loading is lenient about meaning (unknown scenario ids, odd values, unknown elements are kept
and left to :mod:`deskline.templates.validation`) and strict about form: malformed XML, a DTD,
or a root other than ``<Information>`` stop it with a line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from deskline.templates.model.nodes import (
    Output,
    Outputs,
    Parameter,
    Request,
    Scenario,
    XmlElement,
    XmlNode,
)
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.paths_in_file import ROOT_PATH, scenario_path, step
from deskline.templates.problems import Problem, Severity, TemplateProblemsError
from deskline.templates.source import ElementLocation, SourceText
from deskline.templates.xml_parser import RawElement, decode_template, parse_xml

N = TypeVar("N", bound=XmlNode)


@dataclass
class LoadedTemplate:
    """A loaded template, its source text, and what the loader noticed but kept."""

    template: HelpdeskTemplate
    source: SourceText
    notes: list[Problem] = field(default_factory=list)


def parse_template(content: str | bytes, name: str = "<template>") -> LoadedTemplate:
    """Load a template from its XML text; raises :class:`TemplateProblemsError` on bad XML."""
    text = decode_template(content, name) if isinstance(content, bytes) else content
    root, source = parse_xml(text, name)
    builder = _Builder(source)
    if root.tag != HelpdeskTemplate.XML_TAG:
        position = source.position(root.start)
        raise TemplateProblemsError(
            [
                Problem(
                    Severity.ERROR,
                    "xml-root",
                    f"the root element must be <Information>, found <{root.tag}>",
                    root.tag,
                    position.line,
                    position.column,
                )
            ],
            name,
        )
    template = builder.template(root)
    notes = sorted(builder.notes, key=lambda n: (n.line or 0, n.column or 0))
    return LoadedTemplate(template, source, notes)


def load_template(content: str | bytes, name: str = "<template>") -> HelpdeskTemplate:
    return parse_template(content, name).template


def load_template_file(path: str | Path) -> HelpdeskTemplate:
    return parse_template_file(path).template


def parse_template_file(path: str | Path) -> LoadedTemplate:
    path = Path(path)
    return parse_template(path.read_bytes(), str(path))


class _Builder:
    """Turns a :class:`RawElement` tree into model nodes, noting what it does not know."""

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.notes: list[Problem] = []

    def template(self, raw: RawElement) -> HelpdeskTemplate:
        known: dict[str, type[XmlNode]] = {"Parameters": Parameter, "Scenarios": Scenario}
        children, extras = self._containers(raw, known, ROOT_PATH)
        return self._node(
            HelpdeskTemplate,
            raw,
            ROOT_PATH,
            extras,
            parameters=[
                self._leaf(Parameter, p, f"{ROOT_PATH}/Parameters") for p in children["Parameters"]
            ],
            scenarios=[self._scenario(s) for s in children["Scenarios"]],
        )

    def _scenario(self, raw: RawElement) -> Scenario:
        path = step("Scenario", "Id", dict(raw.attributes).get("Id"))
        presets = [c for c in raw.children if c.tag == "Presets"]
        responses = [c for c in raw.children if c.tag == "Responses"]
        rest = RawElement(
            raw.tag,
            raw.attributes,
            raw.start,
            raw.spans,
            [c for c in raw.children if c.tag not in ("Presets", "Responses")],
        )
        known: dict[str, type[XmlNode]] = {"Parameters": Parameter, "Requests": Request}
        children, extras = self._containers(rest, known, path)
        scenario = self._node(
            Scenario,
            raw,
            path,
            extras,
            presets=[_generic(c) for p in presets for c in p.children] if presets else None,
            parameters=[
                self._leaf(Parameter, p, f"{path}/Parameters") for p in children["Parameters"]
            ],
            requests=[],
            responses=[_generic(c) for r in responses for c in r.children] if responses else None,
        )
        for container in presets + responses:
            if container.attributes:
                scenario.extra_elements.append(
                    XmlElement(tag=container.tag, attributes=dict(container.attributes))
                )
                self._note(
                    container,
                    f"{path}/{container.tag}",
                    f"attributes of <{container.tag}> are kept but not used",
                )
        scenario.requests = [self._request(scenario, r) for r in children["Requests"]]
        return scenario

    def _request(self, scenario: Scenario, raw: RawElement) -> Request:
        name = dict(raw.attributes).get("Name")
        path = f"{scenario_path(scenario)}/Requests/{step('Request', 'Name', name)}"
        outputs_raw = [c for c in raw.children if c.tag == "Outputs"]
        rest = RawElement(
            raw.tag,
            raw.attributes,
            raw.start,
            raw.spans,
            [c for c in raw.children if c.tag != "Outputs"],
        )
        children, extras = self._containers(rest, {"Parameters": Parameter}, path)
        for duplicate in outputs_raw[1:]:
            extras.append(_generic(duplicate))
            self._note(duplicate, f"{path}/Outputs", "a second <Outputs> is kept but not used")
        return self._node(
            Request,
            raw,
            path,
            extras,
            parameters=[
                self._leaf(Parameter, p, f"{path}/Parameters") for p in children["Parameters"]
            ],
            outputs=self._outputs(outputs_raw[0], f"{path}/Outputs") if outputs_raw else None,
        )

    def _outputs(self, raw: RawElement, path: str) -> Outputs:
        items = [self._leaf(Output, c, path) for c in raw.children if c.tag == "Output"]
        extras = [c for c in raw.children if c.tag != "Output"]
        return self._node(Outputs, raw, path, self._unknown(extras, path), Output=items)

    def _leaf(self, cls: type[N], raw: RawElement, parent_path: str) -> N:
        path = f"{parent_path}/{step(cls.XML_TAG, 'Name', dict(raw.attributes).get('Name'))}"
        return self._node(cls, raw, path, self._unknown(raw.children, path))

    def _node(
        self, cls: type[N], raw: RawElement, path: str, extras: list[XmlElement], **children: Any
    ) -> N:
        values: dict[str, Any] = {}
        extra_attributes: dict[str, str] = {}
        for name, value in raw.attributes:
            field_name = cls.XML_ATTRIBUTES.get(name)
            if field_name is not None:
                values[field_name] = value
            else:
                extra_attributes[name] = value
                span = raw.spans.get(name)
                self._note(
                    raw,
                    f"{path}/@{name}",
                    f"unknown attribute {name!r} is kept but not used",
                    span.value_start if span else None,
                )
        if raw.text:
            self._note(raw, path, f"text inside <{raw.tag}> is ignored")
        node = cls.model_validate(
            {
                **values,
                **children,
                "extra_attributes": extra_attributes,
                "extra_elements": extras,
                "attribute_order": [name for name, _ in raw.attributes],
            }
        )
        node.attach_location(ElementLocation(self.source, raw.start, raw.spans))
        return node

    def _containers(
        self, raw: RawElement, known: dict[str, type[XmlNode]], path: str
    ) -> tuple[dict[str, list[RawElement]], list[XmlElement]]:
        """The known items of each container child (merged), and everything else, kept."""
        items: dict[str, list[RawElement]] = {tag: [] for tag in known}
        extras: list[XmlElement] = []
        for child in raw.children:
            item_cls = known.get(child.tag)
            if item_cls is None:
                extras.extend(self._unknown([child], path))
                continue
            items[child.tag].extend(c for c in child.children if c.tag == item_cls.XML_TAG)
            strays = [c for c in child.children if c.tag != item_cls.XML_TAG]
            if strays or child.attributes:
                extras.append(
                    XmlElement(
                        tag=child.tag,
                        attributes=dict(child.attributes),
                        children=[_generic(c) for c in strays],
                    )
                )
                for stray in strays:
                    self._note(
                        stray,
                        f"{path}/{child.tag}",
                        f"unknown element <{stray.tag}> in <{child.tag}> is kept but not used",
                    )
                if child.attributes:
                    self._note(
                        child,
                        f"{path}/{child.tag}",
                        f"attributes of <{child.tag}> are kept but not used",
                    )
        return items, extras

    def _unknown(self, raws: list[RawElement], path: str) -> list[XmlElement]:
        for raw in raws:
            self._note(raw, path, f"unknown element <{raw.tag}> is kept but not used")
        return [_generic(r) for r in raws]

    def _note(self, raw: RawElement, path: str, message: str, offset: int | None = None) -> None:
        position = self.source.position(raw.start if offset is None else offset)
        self.notes.append(
            Problem(
                Severity.WARNING, "unknown-content", message, path, position.line, position.column
            )
        )


def _generic(raw: RawElement) -> XmlElement:
    return XmlElement(
        tag=raw.tag,
        attributes=dict(raw.attributes),
        children=[_generic(c) for c in raw.children],
        text=raw.text or None,
    )
