"""Writing templates back: round trips are exact, escaping is safe, order is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskline.templates import dump_template, load_template
from deskline.templates.model import HelpdeskTemplate, Output, Outputs, Parameter, Request, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
TEMPLATES = sorted((FIXTURES / "valid").glob("*.xml")) + sorted(EXAMPLES.glob("*.xml"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_load_dump_load_gives_the_same_model(path: Path) -> None:
    original = load_template(path.read_bytes())
    assert load_template(dump_template(original)) == original


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_dump_text_is_stable(path: Path) -> None:
    text = dump_template(load_template(path.read_bytes()))
    assert dump_template(load_template(text)) == text


def test_examples_are_written_in_canonical_form() -> None:
    """The documentation examples are exactly what the dumper writes."""
    for path in sorted(EXAMPLES.glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        assert dump_template(load_template(text)) == text, path.name


def test_attribute_order_of_the_file_is_kept() -> None:
    xml = '<Information Key="k" Name="n" Zeta="z" AuthType="none"/>'
    dumped = dump_template(load_template(xml))
    assert '<Information Key="k" Name="n" Zeta="z" AuthType="none">' in dumped


def test_json_bodies_and_line_breaks_are_escaped() -> None:
    body = '{\n\t"a": "<b> & {{.X}}"\r}'
    template = HelpdeskTemplate(
        name="n",
        scenarios=[
            Scenario(
                id="CreateNewTicket",
                requests=[
                    Request(
                        name="r",
                        url_format="https://h/x?a=1&b=2",
                        parameters=[Parameter(name="Data", type="Body", value=body)],
                        outputs=Outputs(items=[Output(name="TicketId", path='a.#(b=="c").d')]),
                    )
                ],
            )
        ],
    )
    text = dump_template(template)
    assert 'Value="{&#xA;&#x9;&quot;a&quot;: &quot;&lt;b> &amp; {{.X}}&quot;&#xD;}"' in text
    assert 'URLFormat="https://h/x?a=1&amp;b=2"' in text
    assert 'Path="a.#(b==&quot;c&quot;).d"' in text
    reloaded = load_template(text)
    assert reloaded == template
    assert reloaded.scenarios[0].requests[0].body is not None
    assert reloaded.scenarios[0].requests[0].body.value == body


def test_absent_and_empty_attributes_stay_distinct() -> None:
    template = load_template(
        '<Information><Parameters><Parameter Name="a"/>'
        '<Parameter Name="b" Value=""/></Parameters></Information>'
    )
    text = dump_template(template)
    assert '<Parameter Name="a"/>' in text and '<Parameter Name="b" Value=""/>' in text


def test_unknown_content_survives_a_round_trip() -> None:
    xml = (
        "<Information Colour='blue'><Parameters><Odd x='1'/></Parameters>"
        "<Scenarios><Scenario Id='Common'><Presets><P k='1'>text</P></Presets>"
        "<Requests><Request Name='r' URLFormat='https://h'><Hook/><Outputs Next='n' Z='z'>"
        "<Output Name='o' Path='p'/><Note/></Outputs></Request></Requests></Scenario>"
        "</Scenarios></Information>"
    )
    template = load_template(xml)
    text = dump_template(template)
    assert load_template(text) == template
    for fragment in (
        'Colour="blue"',
        '<Odd x="1"/>',
        '<P k="1">text</P>',
        "<Hook/>",
        '<Outputs Next="n" Z="z">',
        "<Note/>",
    ):
        assert fragment in text


def test_dump_starts_with_a_declaration_and_ends_with_a_newline() -> None:
    text = dump_template(HelpdeskTemplate(name="n"))
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Information Name="n">')
    assert text.endswith("</Information>\n")
