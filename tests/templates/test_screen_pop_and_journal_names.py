"""The deskline names the Zendesk template needs: the ScreenPop scenario, CreateNewTicket's
JournalInTicket setting and WithCallJournal / RecordPath / IdempotencyKey variables."""

from __future__ import annotations

from pathlib import Path

from deskline.templates.model import ScenarioId
from deskline.templates.validation import load_valid_template, validate_source

MINIMAL = (Path(__file__).parent / "fixtures" / "valid" / "minimal.xml").read_text()
SCENARIO_END = "    </Scenario>\n  </Scenarios>"
TICKET_BODY = (
    "{&quot;key&quot;:&quot;{{.IdempotencyKey}}&quot;"
    "{{if .WithCallJournal}},&quot;recording&quot;:&quot;{{.RecordPath}}&quot;{{end}}}"
)


def _with_scenario(xml: str) -> str:
    return MINIMAL.replace(SCENARIO_END, f"    </Scenario>\n{xml}\n  </Scenarios>", 1)


def _messages(xml: str) -> list[str]:
    return [f"{p.severity.value}: {p.message}" for p in validate_source(xml).problems]


def _ticket_scenario(scenario_id: str, journal_in_ticket: str) -> str:
    return (
        f'<Scenario Id="{scenario_id}" Type="REST"><Parameters>'
        f'<Parameter Name="JournalInTicket" Value="{journal_in_ticket}"/></Parameters>'
        '<Requests><Request Name="create" Method="POST" URLFormat="https://{{.host}}/t">'
        f'<Parameters><Parameter Name="Data" Type="Body" Value="{TICKET_BODY}"/></Parameters>'
        "</Request></Requests></Scenario>"
    )


def test_a_screen_pop_scenario_with_its_variables_is_valid() -> None:
    xml = _with_scenario(
        '<Scenario Id="ScreenPop" Type="REST"><Requests>'
        '<Request Name="pop" Method="POST" URLFormat="{{if and .AgentUserId .ContactId}}'
        'https://{{.host}}/agents/{{.AgentUserId}}/users/{{.ContactId}}/display{{end}}"/>'
        "</Requests></Scenario>"
    )
    assert _messages(xml) == []
    template = load_valid_template(xml)
    pop = template.scenario(ScenarioId.SCREEN_POP)
    assert pop is not None and [r.name for r in pop.requests] == ["pop"]


def test_journal_in_ticket_and_its_variables_belong_to_create_new_ticket() -> None:
    xml = _with_scenario(_ticket_scenario("CreateNewTicket", "1"))
    assert _messages(xml) == []
    activity = load_valid_template(xml).activity_settings(ScenarioId.CREATE_NEW_TICKET)
    assert activity is not None and activity.journal_in_ticket


def test_journal_in_ticket_is_a_flag() -> None:
    xml = _with_scenario(_ticket_scenario("CreateNewTicket", "yes"))
    assert _messages(xml) == ["error: JournalInTicket must be 0 or 1 (found 'yes')"]


def test_with_call_journal_means_nothing_in_the_call_journal_itself() -> None:
    xml = _with_scenario(_ticket_scenario("CallJournal", "1"))
    assert _messages(xml) == [
        "warning: unknown parameter 'JournalInTicket' for scenario CallJournal "
        '(for an extra value use Father="CustomScenarioParameter")',
        "warning: variable 'WithCallJournal' is never defined here (it renders empty)",
    ]
