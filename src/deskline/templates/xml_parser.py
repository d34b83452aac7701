"""Safe XML parsing into a plain element tree that remembers where everything was.

expat is used directly: it gives the byte offset of every start tag, and with the handlers
below it refuses any DOCTYPE (and so every entity declaration: no XXE, no "billion laughs")
and never opens a file or the network. XML 1.1 declarations are accepted (templates of the
PBX vendor declare 1.0 or 1.1; the format uses nothing 1.1 adds).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import NoReturn
from xml.parsers import expat

from deskline.templates.problems import Problem, Severity, TemplateProblemsError
from deskline.templates.source import AttributeSpan, SourceText

MAX_TEMPLATE_BYTES = 1_000_000

_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_ATTRIBUTE = re.compile(r"\s+([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


@dataclass
class RawElement:
    """An element as parsed: name, attributes in file order, children, text, position."""

    tag: str
    attributes: list[tuple[str, str]]
    start: int
    spans: dict[str, AttributeSpan] = field(default_factory=dict)
    children: list[RawElement] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts).strip()


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def decode_template(data: bytes, name: str = "<template>") -> str:
    """The text of a template file: BOM, then the declared encoding, then UTF-8."""
    if len(data) > MAX_TEMPLATE_BYTES:
        _fail("xml-too-large", f"the template is larger than {MAX_TEMPLATE_BYTES} bytes", name)
    encoding = "utf-8"
    for bom, bom_encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            encoding = bom_encoding
            break
    else:
        declared = _DECLARED_ENCODING.match(data)
        if declared:
            encoding = declared.group(1).decode("ascii")
    try:
        return data.decode(encoding)
    except LookupError:
        _fail("xml-encoding", f"unknown encoding {encoding!r} in the XML declaration", name)
    except UnicodeDecodeError as exc:
        source = SourceText(data[: exc.start].decode(encoding, errors="replace"), name)
        position = source.position(len(source.text))
        _fail(
            "xml-encoding",
            f"the file is not valid {encoding}: {exc.reason}",
            name,
            position.line,
            position.column,
        )


def parse_xml(text: str, name: str = "<template>") -> tuple[RawElement, SourceText]:
    """Parse ``text`` into a :class:`RawElement` tree; malformed or unsafe XML is refused."""
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_TEMPLATE_BYTES:
        _fail("xml-too-large", f"the template is larger than {MAX_TEMPLATE_BYTES} bytes", name)
    source = SourceText(text, name)
    encoded = text.encode("utf-8")
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[RawElement] = []
    roots: list[RawElement] = []

    def char_offset(byte_index: int) -> int:
        return len(encoded[:byte_index].decode("utf-8", errors="ignore"))

    def refuse(*_: object) -> NoReturn:
        raise _Refused(
            "DTDs and entity declarations are not allowed in a template "
            "(protection against external entities and entity expansion)"
        )

    def start(tag: str, attributes: list[str]) -> None:
        pairs = list(zip(attributes[::2], attributes[1::2], strict=True))
        element = RawElement(tag, pairs, char_offset(parser.CurrentByteIndex))
        element.spans = _attribute_spans(text, element.start + 1 + len(tag))
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    def characters(data: str) -> None:
        if stack:
            stack[-1].text_parts.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(text, True)
    except _Refused as exc:
        doctype = text.find("<!DOCTYPE")
        offset = doctype if doctype >= 0 else char_offset(parser.CurrentByteIndex)
        position = source.position(offset)
        _fail("xml-dtd", exc.message, name, position.line, position.column)
    except expat.ExpatError as exc:
        position = source.position(char_offset(parser.ErrorByteIndex))
        message = expat.errors.messages.get(exc.code or 0, str(exc))
        _fail("xml-malformed", f"malformed XML: {message}", name, position.line, position.column)
    return roots[0], source


def _attribute_spans(text: str, offset: int) -> dict[str, AttributeSpan]:
    """Where each attribute value of the start tag beginning before ``offset`` is."""
    spans: dict[str, AttributeSpan] = {}
    while match := _ATTRIBUTE.match(text, offset):
        group = 2 if match.group(2) is not None else 3
        spans[match.group(1)] = AttributeSpan(match.start(group), match.group(group))
        offset = match.end()
    return spans


def _fail(
    code: str, message: str, name: str, line: int | None = None, column: int | None = None
) -> NoReturn:
    raise TemplateProblemsError([Problem(Severity.ERROR, code, message, "", line, column)], name)
