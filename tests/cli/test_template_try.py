"""`deskline template try`: dry run, JSON output, and a real run against the generic helpdesk."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from deskline.cli import app
from deskline.templates.builtin import builtin_template_paths
from tests.fakes.generic_helpdesk import RunningHelpdesk, running_helpdesk

TEMPLATE = str(next(p for p in builtin_template_paths() if p.stem == "generic-rest"))
runner = CliRunner()


@pytest.fixture(scope="module")
def helpdesk() -> Iterator[RunningHelpdesk]:
    with running_helpdesk() as running:
        yield running


@pytest.fixture
def base_url(helpdesk: RunningHelpdesk) -> str:
    helpdesk.desk.reset()
    helpdesk.desk.add_contact("Ada", "Lovelace", "+15551230001", email="ada@example.com")
    return f"{helpdesk.base_url}/api/v3"


def try_args(base_url: str, *extra: str, api_key: str = "hdr-key-7") -> list[str]:
    return [
        "template",
        "try",
        TEMPLATE,
        "--set",
        f"base_url={base_url}",
        "--set",
        f"api_key={api_key}",
        *extra,
    ]


def test_dry_run_prints_the_rendered_request_and_sends_nothing(
    helpdesk: RunningHelpdesk, base_url: str
) -> None:
    result = runner.invoke(app, try_args(base_url, "--set", "Phone=+1 555 123", "--dry-run"))
    assert result.exit_code == 0, result.output
    assert f"GET {base_url}/contacts?phone=%2B1%20555%20123" in result.output
    assert "X-API-Key: ****" in result.output and "hdr-key-7" not in result.output
    assert helpdesk.desk.requests == []


def test_json_prints_the_contacts_found(helpdesk: RunningHelpdesk, base_url: str) -> None:
    result = runner.invoke(app, try_args(base_url, "--set", "Phone=+15551230001", "--json"))
    assert result.exit_code == 0, result.output
    contacts = json.loads(result.stdout)
    assert [(c["id"], c["first_name"], c["email"], c["popup_url"]) for c in contacts] == [
        ("1001", "Ada", "ada@example.com", "https://desk.example/people/1001")
    ]
    assert helpdesk.desk.requests[0].headers["x-api-key"] == "hdr-key-7"


def test_a_real_run_shows_each_request_and_the_outputs(
    helpdesk: RunningHelpdesk, base_url: str
) -> None:
    args = try_args(
        base_url,
        "--scenario",
        "CreateNewTicket",
        "--set",
        "Communication_Type=Inbound",
        "--set",
        "Call_Status=Answered",
        "--set",
        "ContactId=1001",
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"POST {base_url}/tickets" in result.output
    assert "201 success" in result.output
    assert "TicketId" in result.output and "1002" in result.output
    assert helpdesk.desk.tickets[1002]["contact_id"] == "1001"


def test_a_refused_key_is_a_clear_error_and_exit_1(base_url: str) -> None:
    result = runner.invoke(app, try_args(base_url, "--set", "Phone=1", api_key="wrong-key-1"))
    assert result.exit_code == 1
    assert "error:" in result.output and "401" in result.output
    assert "wrong-key-1" not in result.output


def test_missing_fields_are_named(base_url: str) -> None:
    result = runner.invoke(app, ["template", "try", TEMPLATE, "--set", f"base_url={base_url}"])
    assert result.exit_code == 1
    assert "api_key" in result.output
