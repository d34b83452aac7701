"""docs/templates.md documents every name the code knows: settings, variables, scenarios,
fields, enum values and validation codes (so code and documentation cannot drift apart)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deskline.templates.model import (
    AuthType,
    ContactField,
    ContactUrlType,
    CredentialType,
    Editor,
    FollowUpTrigger,
    PaginationType,
    ParameterFather,
    ScenarioId,
    UserField,
)
from deskline.templates.settings_catalog import SCENARIO_SETTINGS
from deskline.templates.variables import BUILTIN_VARIABLES, EVERYWHERE

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
CHECK_SOURCES = [
    *sorted((ROOT / "src" / "deskline" / "templates" / "checks").glob("*.py")),
    ROOT / "src" / "deskline" / "templates" / "xml_parser.py",
    ROOT / "src" / "deskline" / "templates" / "xml_loader.py",
]


def _names() -> list[str]:
    names: set[str] = set(EVERYWHERE)
    for settings in SCENARIO_SETTINGS.values():
        names.update(settings)
    for variables in BUILTIN_VARIABLES.values():
        names.update(variables)
    for enum in (
        ScenarioId,
        AuthType,
        ContactField,
        ContactUrlType,
        CredentialType,
        Editor,
        FollowUpTrigger,
        PaginationType,
        ParameterFather,
        UserField,
    ):
        names.update(member.value for member in enum)
    return sorted(names)


def _codes() -> list[str]:
    pattern = re.compile(
        r'(?:error|warning|_fail|Problem)\(\s*(?:Severity\.\w+,\s*)?"([a-z0-9-]+)"'
    )
    codes: set[str] = set()
    for path in CHECK_SOURCES:
        codes.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(codes)


@pytest.mark.parametrize("name", _names())
def test_name_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC


def test_validation_codes_are_found() -> None:
    assert len(_codes()) > 40


@pytest.mark.parametrize("code", _codes())
def test_validation_code_is_documented(code: str) -> None:
    assert f"`{code}`" in DOC
