"""The JSON Schema export: in sync with docs/template-schema.json and true to the model."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from deskline.templates import load_template
from deskline.templates.schema import template_json_schema, template_json_schema_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.xml"))


def test_documented_schema_file_is_up_to_date() -> None:
    documented = (ROOT / "docs" / "template-schema.json").read_text(encoding="utf-8")
    assert documented == template_json_schema_text(), (
        "regenerate it: deskline template schema > docs/template-schema.json"
    )


def test_schema_is_a_valid_json_schema_with_xml_names() -> None:
    schema = template_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert {"Name", "Key", "AuthType", "MaxConcurrentRequest", "Scenarios"} <= set(
        schema["properties"]
    )
    request = schema["$defs"]["Request"]["properties"]
    assert {"URLFormat", "Method", "Trigger", "Parameters", "Outputs"} <= set(request)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_in_json_form_match_the_schema(path: Path) -> None:
    template = load_template(path.read_bytes())
    document = json.loads(template.model_dump_json(by_alias=True))
    jsonschema.validate(document, template_json_schema())


def test_schema_rejects_a_misspelt_attribute() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"Nmae": "x"}, template_json_schema())
