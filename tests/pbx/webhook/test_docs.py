"""docs/pbx-webhook.md stays true: its schema is the code's, its examples are accepted."""

from __future__ import annotations

import json
import re

from deskline.pbx.webhook.parse import parse_events
from deskline.pbx.webhook.schema import json_schema
from tests.conftest import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "pbx-webhook.md").read_text(encoding="utf-8")


def test_the_documented_schema_is_the_codes() -> None:
    block = DOC.split("<!-- schema:begin -->")[1].split("<!-- schema:end -->")[0]
    documented = json.loads(block.strip().removeprefix("```json").removesuffix("```"))
    assert documented == json_schema(), "regenerate the schema block in docs/pbx-webhook.md"


def test_the_documented_examples_are_valid_events() -> None:
    examples = DOC.split("### Examples")[1].split("## Answers")[0]
    blocks = re.findall(r"```json\n(.*?)```", examples, flags=re.DOTALL)
    assert len(blocks) == 2
    events = [event for block in blocks for event in parse_events(block.encode())]
    assert [e.event for e in events] == ["ring", "answer", "hangup", "hangup", "cdr"]
