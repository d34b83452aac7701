"""IntegrationSettings: defaults from the seed, validation, and the questions the pipeline asks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deskline.integration.settings_model import (
    DEFAULT_DESCRIPTION,
    DEFAULT_SUBJECT,
    IntegrationSettings,
    settings_problems,
)


def test_defaults_follow_the_seed() -> None:
    settings = IntegrationSettings()
    assert (
        settings.tickets.subject
        == DEFAULT_SUBJECT
        == ("{{.Communication_Type}} {{.Call_Status}} - from {{.Call_From}}")
    )
    assert settings.tickets.description == DEFAULT_DESCRIPTION
    assert not settings.tickets.enabled and not settings.always_query_helpdesk
    assert settings.contact_creation.mode == "manual"
    assert not settings.journal_applies  # the journal needs tickets (F12 needs F11)


def test_ticket_rules_answer_per_direction_and_result() -> None:
    after = IntegrationSettings.model_validate(
        {"tickets": {"enabled": True, "after_call": {"inbound_missed": False}}}
    ).tickets
    assert after.after_call_applies("inbound", answered=True)
    assert not after.after_call_applies("inbound", answered=False)
    assert after.after_call_applies("outbound", answered=False)
    assert not after.after_call_applies("internal", answered=True)
    assert not after.before_call_applies("inbound")

    before = IntegrationSettings.model_validate(
        {"tickets": {"enabled": True, "timing": "before_call", "before_call": {"outbound": False}}}
    ).tickets
    assert before.before_call_applies("inbound") and not before.before_call_applies("outbound")
    assert not before.after_call_applies("inbound", answered=True)


def test_journal_and_recording_follow_tickets() -> None:
    on = IntegrationSettings.model_validate({"tickets": {"enabled": True}, "play_recording": True})
    assert on.journal_applies and on.recording_applies
    off = on.model_copy(update={"call_journal": False})
    assert not off.journal_applies and not off.recording_applies


def test_contact_creation_per_direction() -> None:
    auto = IntegrationSettings.model_validate(
        {"contact_creation": {"mode": "auto", "outbound": False}}
    ).contact_creation
    assert auto.creates_for("inbound") and not auto.creates_for("outbound")
    assert not IntegrationSettings().contact_creation.creates_for("inbound")


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"contact_creation": {"mode": "auto", "inbound": False, "outbound": False}},
         "contact_creation", "at least one call type"),
        ({"tickets": {"subject": " "}}, "tickets.subject", "must not be empty"),
        ({"tickets": {"subject": "{{if .Call_From}}x"}}, "tickets.subject", "not a valid template"),
        ({"tickets": {"description": "{{.AccessToken}}"}}, "tickets.description", "AccessToken"),
        ({"tickets": {"subject": "x" * 2001}}, "tickets.subject", "longer than 2000"),
        ({"api_budget_rpm": 100_001}, "api_budget_rpm", "less than or equal"),
    ],
)  # fmt: skip
def test_invalid_settings_name_the_problem(data: dict[str, object], path: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        IntegrationSettings.model_validate(data)
    problems = settings_problems(caught.value)
    assert any(p["path"] == path and words in p["message"] for p in problems), problems
    assert not any(p["message"].startswith("Value error") for p in problems)


def test_stored_settings_that_no_longer_validate_fall_back_field_by_field() -> None:
    stored = {"always_query_helpdesk": True, "api_budget_rpm": -5, "retired_option": 1}
    settings = IntegrationSettings.from_stored(stored)
    assert settings.always_query_helpdesk and settings.api_budget_rpm is None
    assert IntegrationSettings.from_stored(None) == IntegrationSettings()
    assert IntegrationSettings.from_stored(settings.stored()) == settings
