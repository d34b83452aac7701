"""`deskline template validate` and `deskline template schema`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deskline.cli import app
from deskline.templates.schema import template_json_schema

FIXTURES = Path(__file__).resolve().parents[1] / "templates" / "fixtures"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "acme-oauth2.xml"
runner = CliRunner()


def test_valid_template_exits_0_with_a_summary() -> None:
    result = runner.invoke(app, ["template", "validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    for expected in (
        "Acme Desk — valid",
        "acme_desk",
        "oauth2",
        "client_secret (password)",
        "CreateTicket, AddCallNote",
        "Talk_Duration_Sec",
    ):
        assert expected in result.output


def test_invalid_template_lists_every_problem_and_exits_1() -> None:
    path = FIXTURES / "broken" / "root-attributes.xml"
    result = runner.invoke(app, ["template", "validate", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(path))]
    assert len(lines) == 6
    assert lines[3] == (
        f"{path}:2:63: Information/@AuthType: AuthType must be one of none, basic, oauth2, "
        "bearer_token (found 'digest')"
    )


def test_malformed_xml_exits_1_with_position() -> None:
    path = FIXTURES / "broken" / "malformed.xml"
    result = runner.invoke(app, ["template", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:10:7: malformed XML: mismatched tag" in result.stdout


def test_warnings_alone_pass_unless_strict() -> None:
    path = FIXTURES / "broken" / "undefined-variable.xml"
    relaxed = runner.invoke(app, ["template", "validate", str(path)])
    assert relaxed.exit_code == 0
    assert "warning: variable 'Phnoe' is never defined here" in relaxed.stdout
    strict = runner.invoke(app, ["template", "validate", "--strict", str(path)])
    assert strict.exit_code == 1


def test_json_output() -> None:
    path = FIXTURES / "broken" / "unknown-function.xml"
    result = runner.invoke(app, ["template", "validate", "--json", str(path)])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["errors"] == 1
    assert data["problems"] == [
        {
            "severity": "error",
            "code": "expression",
            "message": "unknown function 'Lower'",
            "path": "Scenario[@Id='SyncContactAuto']/Requests/Request[@Name='contacts']/@URLFormat",
            "line": 17,
            "column": 98,
        }
    ]
    valid = json.loads(runner.invoke(app, ["template", "validate", "--json", str(EXAMPLE)]).stdout)
    assert valid["valid"] is True and valid["summary"]["key"] == "acme_desk"


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", "validate", str(tmp_path / "nope.xml")])
    assert result.exit_code == 2


def test_schema_prints_the_json_schema() -> None:
    result = runner.invoke(app, ["template", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == template_json_schema()
