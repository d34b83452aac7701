"""The JSON Schema of the template model (``deskline template schema``; docs/template-schema.json).

The schema describes the model's JSON form, whose property names are the XML names
(``Name``, ``URLFormat``, ``Parameters`` …), so it documents the XML format one to one.
"""

from __future__ import annotations

import json
from typing import Any

from deskline.templates.model.template import HelpdeskTemplate

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def template_json_schema() -> dict[str, Any]:
    schema = HelpdeskTemplate.model_json_schema(by_alias=True)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "deskline helpdesk template",
        "description": (
            "The <Information> element of a helpdesk template and everything in it. "
            "See docs/templates.md for the meaning of each attribute and parameter."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def template_json_schema_text() -> str:
    """The schema as stable, indented JSON text ending in a newline."""
    return json.dumps(template_json_schema(), indent=2, ensure_ascii=False) + "\n"
