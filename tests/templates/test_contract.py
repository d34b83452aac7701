"""One contract for every template deskline ships or documents.

Each example in docs/examples/ and each bundled template in deskline/templates/builtin/ must
validate without errors or warnings, and survive dump → load unchanged (model and text).
New bundled templates (Zendesk, …) are picked up automatically.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deskline.templates import dump_template, load_template
from deskline.templates.builtin import builtin_template_paths, load_builtin_template
from deskline.templates.validation import validate_source

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "docs" / "examples").glob("*.xml"))
SHIPPED = EXAMPLES + builtin_template_paths()


def test_there_is_something_to_check() -> None:
    assert len(EXAMPLES) >= 2
    assert builtin_template_paths()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_validates_cleanly(path: Path) -> None:
    report = validate_source(path.read_bytes(), path.name)
    assert [p.format(path.name) for p in report.problems] == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_dump_then_load_is_identical(path: Path) -> None:
    template = load_template(path.read_bytes(), path.name)
    text = dump_template(template)
    again = load_template(text)
    assert again == template
    assert dump_template(again) == text


@pytest.mark.parametrize("path", builtin_template_paths(), ids=lambda p: p.name)
def test_bundled_template_key_matches_its_file_name(path: Path) -> None:
    assert load_builtin_template(path.stem).key == path.stem
