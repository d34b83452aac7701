"""The faithful model of a template file: one class per element of the format.

Every attribute is kept as the string the file had (``None`` when the attribute is absent), so
a template that deskline does not fully understand still loads, validates with clear messages
and is written back unchanged. Attributes the format does not know go to ``ExtraAttributes``,
elements it does not know to ``ExtraElements``; ``AttributeOrder`` remembers the order of the
attributes in the file. The typed, checked views the runtime uses live in
:mod:`deskline.templates.model.views` and on ``HelpdeskTemplate``.

Equality ignores where a node was loaded from and the order of its attributes (which XML
says carries no meaning; the dumper still keeps it), so ``load(dump(t)) == t``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from deskline.templates.source import ElementLocation


def xml_attribute(xml_name: str, description: str) -> Any:
    """A field holding one XML attribute, as written in the file (``None`` = absent)."""
    return Field(default=None, alias=xml_name, description=description)


class XmlElement(BaseModel):
    """An element the format does not define, kept as it is so the template round-trips."""

    model_config = ConfigDict(extra="forbid")

    tag: str = Field(description="The element name.")
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Its attributes, in file order."
    )
    children: list[XmlElement] = Field(default_factory=list)
    text: str | None = Field(default=None, description="Its text, without surrounding blanks.")


class XmlNode(BaseModel):
    """Base of every element of the format: known attributes are fields, the rest is kept."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    XML_TAG: ClassVar[str] = ""
    #: XML attribute name -> field name, for the attributes this element knows.
    XML_ATTRIBUTES: ClassVar[dict[str, str]] = {}

    extra_attributes: dict[str, str] = Field(
        default_factory=dict,
        alias="ExtraAttributes",
        description="Attributes the format does not define, kept for round-tripping.",
    )
    extra_elements: list[XmlElement] = Field(
        default_factory=list,
        alias="ExtraElements",
        description="Child elements the format does not define, kept for round-tripping.",
    )
    attribute_order: list[str] = Field(
        default_factory=list,
        alias="AttributeOrder",
        description="The attribute names in the order the file had them (for writing back).",
    )
    _location: ElementLocation | None = PrivateAttr(default=None)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.XML_ATTRIBUTES = {
            field.alias: name
            for name, field in cls.model_fields.items()
            if field.alias and field.annotation == (str | None) and name not in XmlNode.model_fields
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, XmlNode):
            return NotImplemented
        if type(self) is not type(other):
            return False
        mine = {k: v for k, v in self.__dict__.items() if k != "attribute_order"}
        theirs = {k: v for k, v in other.__dict__.items() if k != "attribute_order"}
        return mine == theirs

    @property
    def location(self) -> ElementLocation | None:
        """Where the element was in the file it was loaded from (``None`` if built in code)."""
        return self._location

    def attach_location(self, location: ElementLocation) -> None:
        self._location = location

    def get_attribute(self, xml_name: str) -> str | None:
        """The value of an attribute by its XML name, known or extra."""
        field_name = self.XML_ATTRIBUTES.get(xml_name)
        if field_name is not None:
            value: str | None = getattr(self, field_name)
            return value
        return self.extra_attributes.get(xml_name)

    def xml_attributes(self) -> Iterator[tuple[str, str]]:
        """The present attributes as (XML name, value): file order first, then the rest."""
        present: dict[str, str] = {}
        for xml_name, field_name in self.XML_ATTRIBUTES.items():
            value = getattr(self, field_name)
            if value is not None:
                present[xml_name] = value
        present.update(self.extra_attributes)
        for name in self.attribute_order:
            if name in present:
                yield name, present.pop(name)
        yield from present.items()


class Parameter(XmlNode):
    """``<Parameter>``: a setting, custom field, header, body or extra value."""

    XML_TAG = "Parameter"

    father: str | None = xml_attribute("Father", "The group: AuthOption, CustomFieldList, …")
    name: str | None = xml_attribute("Name", "The parameter name; a variable of that name.")
    key: str | None = xml_attribute("Key", "Custom fields: the stored key (usually = Name).")
    type: str | None = xml_attribute("Type", "Header, Body, or TokenInvalid.")
    editor: str | None = xml_attribute("Editor", "Custom fields: string, password or select.")
    title: str | None = xml_attribute("Title", "Custom fields: the label shown to the admin.")
    value: str | None = xml_attribute("Value", "The value; may hold {{expressions}}.")
    options: str | None = xml_attribute("Options", "Select fields: comma-separated options.")
    required: str | None = xml_attribute("Required", "Custom fields: 1 = must be filled in.")
    default: str | None = xml_attribute("Default", "Custom fields: the preset value.")
    description: str | None = xml_attribute("Description", "Headers: what the header is for.")


class Output(XmlNode):
    """``<Output Name Path>``: a value read from the response into variable ``Name``."""

    XML_TAG = "Output"

    name: str | None = xml_attribute("Name", "The variable (or mapped field) to fill.")
    path: str | None = xml_attribute("Path", "GJSON path (JSONPath if it starts with $).")


class Outputs(XmlNode):
    """``<Outputs Next>``: what a request reads from its response, and what runs next."""

    XML_TAG = "Outputs"

    next: str | None = xml_attribute("Next", "The request to run next, once per record.")
    items: list[Output] = Field(default_factory=list, alias="Output")


class Request(XmlNode):
    """``<Request>``: one HTTP request to the helpdesk."""

    XML_TAG = "Request"

    name: str | None = xml_attribute("Name", "Unique in its scenario; the target of Next.")
    method: str | None = xml_attribute("Method", "GET (default), POST, PUT, PATCH, DELETE.")
    url_format: str | None = xml_attribute("URLFormat", "The URL; empty when rendered = skip.")
    response_type: str | None = xml_attribute("ResponseType", "application/json.")
    trigger: str | None = xml_attribute("Trigger", "FollowUpRequests: the triggering event.")
    parameters: list[Parameter] = Field(default_factory=list, alias="Parameters")
    outputs: Outputs | None = Field(default=None, alias="Outputs")

    def parameters_of_type(self, parameter_type: str) -> list[Parameter]:
        return [p for p in self.parameters if p.type == parameter_type]

    @property
    def body(self) -> Parameter | None:
        """The ``Type="Body"`` parameter whose Value is the request body template."""
        bodies = self.parameters_of_type("Body")
        return bodies[0] if bodies else None

    @property
    def headers(self) -> list[Parameter]:
        return self.parameters_of_type("Header")

    @property
    def output_items(self) -> list[Output]:
        return self.outputs.items if self.outputs else []

    @property
    def next_request_name(self) -> str | None:
        return self.outputs.next if self.outputs and self.outputs.next else None


class Scenario(XmlNode):
    """``<Scenario Id Type>``: the settings and requests of one feature."""

    XML_TAG = "Scenario"

    id: str | None = xml_attribute("Id", "AuthMethod, SyncContactAuto, … (see ScenarioId).")
    type: str | None = xml_attribute("Type", "AUTH for AuthMethod, REST for the others.")
    presets: list[XmlElement] | None = Field(default=None, alias="Presets")
    parameters: list[Parameter] = Field(default_factory=list, alias="Parameters")
    requests: list[Request] = Field(default_factory=list, alias="Requests")
    responses: list[XmlElement] | None = Field(default=None, alias="Responses")

    def parameters_of(self, father: str | None) -> list[Parameter]:
        """The parameters of one ``Father`` group (``None``: the ones without a Father)."""
        return [p for p in self.parameters if p.father == father]

    def parameter(self, name: str) -> Parameter | None:
        """The first setting called ``name`` (without a Father, or in AuthOption)."""
        for parameter in self.parameters:
            if parameter.name == name and parameter.father in (None, "AuthOption"):
                return parameter
        return None

    def setting(self, name: str) -> str | None:
        """The Value of setting ``name``; ``None`` when absent, "" when present but empty."""
        parameter = self.parameter(name)
        if parameter is None:
            return None
        return parameter.value if parameter.value is not None else ""

    def flag(self, name: str, default: bool = False) -> bool:
        """A "0"/"1" setting as a bool (absent or empty: ``default``)."""
        value = self.setting(name)
        return default if not value else value.strip() == "1"

    def request(self, name: str) -> Request | None:
        return next((r for r in self.requests if r.name == name), None)
