"""Loading templates: every construct, positions, unknown content, safety, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskline.templates import TemplateProblemsError, load_template, parse_template
from deskline.templates.model import Feature, ScenarioId
from deskline.templates.xml_parser import MAX_TEMPLATE_BYTES

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _only_problem(content: str | bytes) -> str:
    with pytest.raises(TemplateProblemsError) as caught:
        parse_template(content, "t.xml")
    assert len(caught.value.problems) == 1
    return caught.value.problems[0].format("t.xml")


def test_every_construct_of_the_vendor_style_template_loads() -> None:
    template = load_template((FIXTURES / "valid" / "vendor-style.xml").read_bytes())

    assert (template.name, template.key, template.auth_type) == (
        "Vendor Style Desk",
        "vendor_style",
        "oauth2",
    )
    assert all(template.feature_enabled(f) for f in Feature)
    assert [s.id for s in template.scenarios] == [
        "AuthMethod",
        "SyncContactAuto",
        "UserAssociation",
        "CreateNewContact",
        "CreateNewTicket",
        "CallJournal",
        "Common",
    ]
    auth = template.scenario(ScenarioId.AUTH_METHOD)
    assert auth is not None and auth.presets == [] and auth.responses == []
    lookup = template.scenario(ScenarioId.SYNC_CONTACT_AUTO)
    assert lookup is not None and lookup.responses is None  # absent, not empty
    request = lookup.requests[0]
    assert request.next_request_name == "GetIdentities"
    assert [(o.name, o.path) for o in request.output_items][:2] == [
        ("ContactsId", "users.#.id"),
        ("FirstName", "users.#.name"),
    ]
    ticket = template.scenario(ScenarioId.CREATE_NEW_TICKET)
    assert ticket is not None
    body = ticket.requests[0].body
    assert body is not None and body.value is not None
    assert body.value.startswith('{"ticket":{"subject":"{{.Subject}}"')
    assert template.extra_attributes == {"Vendor": "extra"}


def test_attribute_values_are_kept_as_strings_exactly() -> None:
    template = load_template((FIXTURES / "valid" / "vendor-style.xml").read_bytes())
    contact = template.scenario(ScenarioId.CREATE_NEW_CONTACT)
    assert contact is not None
    body = contact.requests[0].body
    assert body is not None
    # &#xA; is a real line break in the value, not a blank
    assert body.value == (
        '{\n  "user": {"name": "{{.DisplayName}}", "phone": "{{.BusinessNumber}}"}\n}'
    )
    params = template.scenario(ScenarioId.AUTH_METHOD)
    assert params is not None
    assert params.setting("AdditionalQueryString") == ""  # present but empty
    assert params.setting("NoSuchSetting") is None


def test_positions_of_elements_and_attribute_values() -> None:
    text = (FIXTURES / "valid" / "minimal.xml").read_text()
    template = load_template(text)
    lookup = template.scenario("SyncContactAuto")
    assert lookup is not None
    request = lookup.requests[0]
    location = request.location
    assert location is not None
    assert (location.position().line, location.position().column) == (17, 9)
    url_start = location.attribute_position("URLFormat")
    assert (url_start.line, url_start.column) == (17, 58)
    # character 8 of the decoded value is the first "{" of "{{.host}}"
    assert location.attribute_position("URLFormat", 8).column == 66


def test_positions_map_through_entity_references() -> None:
    xml = (
        '<Information Name="x">\n'
        '  <Parameters><Parameter Name="p" Value="&quot;a&quot;:&#xA;{{.X}}"/></Parameters>\n'
        "</Information>"
    )
    template = load_template(xml)
    parameter = template.parameters[0]
    assert parameter.value == '"a":\n{{.X}}'
    assert parameter.location is not None
    position = parameter.location.attribute_position("Value", parameter.value.index("{"))
    assert (position.line, position.column) == (2, 61)
    assert xml.splitlines()[1][60:62] == "{{"


def test_xml_11_declaration_is_accepted() -> None:
    text = (FIXTURES / "valid" / "xml11-declaration.xml").read_text()
    assert text.startswith('<?xml version="1.1"')
    assert load_template(text).name == "Mini"


def test_unknown_elements_and_attributes_are_kept_and_noted() -> None:
    loaded = parse_template(
        "<Information Name='x' Colour='blue'>\n"
        "  <Parameters><Parameter Name='a' Hint='h'/><Odd/></Parameters>\n"
        "  <Scenarios><Scenario Id='Common'><Presets><P k='1'/></Presets><Extra>t</Extra>"
        "</Scenario></Scenarios>\n"
        "</Information>"
    )
    template = loaded.template
    assert template.extra_attributes == {"Colour": "blue"}
    assert template.parameters[0].extra_attributes == {"Hint": "h"}
    assert [e.tag for e in template.extra_elements] == ["Parameters"]
    assert [c.tag for c in template.extra_elements[0].children] == ["Odd"]
    scenario = template.scenarios[0]
    assert scenario.presets is not None and scenario.presets[0].attributes == {"k": "1"}
    assert scenario.extra_elements[0].tag == "Extra" and scenario.extra_elements[0].text == "t"
    assert [(n.line, n.message) for n in loaded.notes] == [
        (1, "unknown attribute 'Colour' is kept but not used"),
        (2, "unknown attribute 'Hint' is kept but not used"),
        (2, "unknown element <Odd> in <Parameters> is kept but not used"),
        (3, "unknown element <Extra> is kept but not used"),
    ]


def test_malformed_xml_reports_line_and_column() -> None:
    assert _only_problem("<Information>\n  <Parameters>\n</Information>") == (
        "t.xml:3:3: malformed XML: mismatched tag"
    )


def test_external_entities_are_refused_without_reading_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY s SYSTEM "{secret.as_uri()}">]>\n'
        '<Information Name="&s;"/>'
    )
    message = _only_problem(xml)
    assert message.startswith("t.xml:2:1: DTDs and entity declarations are not allowed")
    assert "TOP-SECRET" not in message


def test_billion_laughs_is_refused() -> None:
    message = _only_problem((FIXTURES / "broken" / "billion-laughs.xml").read_bytes())
    assert "DTDs and entity declarations are not allowed" in message


def test_a_doctype_without_entities_is_refused_too() -> None:
    assert "DTDs" in _only_problem('<!DOCTYPE Information SYSTEM "http://x/y.dtd">\n<Information/>')


def test_wrong_root_element() -> None:
    assert _only_problem("<Template/>") == (
        "t.xml:1:1: Template: the root element must be <Information>, found <Template>"
    )


def test_bytes_are_decoded_by_bom_and_declaration() -> None:
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><Information Name="Café"/>'
    assert load_template(latin.encode("latin-1")).name == "Café"
    assert load_template(b"\xef\xbb\xbf<Information Name='x'/>").name == "x"


def test_invalid_utf8_reports_where() -> None:
    message = _only_problem(b"<Information\n Name='\xff'/>")
    assert message.startswith("t.xml:2:8: the file is not valid utf-8")


def test_oversized_template_is_refused() -> None:
    big = b"<Information Remark='" + b"x" * MAX_TEMPLATE_BYTES + b"'/>"
    assert "larger than" in _only_problem(big)


def test_documentation_examples_load() -> None:
    for path in sorted(EXAMPLES.glob("*.xml")):
        assert load_template(path.read_bytes(), path.name).key
