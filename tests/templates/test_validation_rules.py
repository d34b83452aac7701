"""Validation behaviour beyond single fixtures: scopes of variables, severities, the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskline.templates import HelpdeskTemplate, TemplateProblemsError
from deskline.templates.problems import Severity
from deskline.templates.validation import (
    load_valid_template,
    validate_file,
    validate_source,
    validate_template,
)
from deskline.templates.variables import BUILTIN_VARIABLES

MINIMAL = (Path(__file__).parent / "fixtures" / "valid" / "minimal.xml").read_text()
SCENARIO_END = "    </Scenario>\n  </Scenarios>"


def _with_scenario(xml: str) -> str:
    return MINIMAL.replace(SCENARIO_END, f"    </Scenario>\n{xml}\n  </Scenarios>", 1)


def _messages(xml: str) -> list[str]:
    return [f"{p.severity.value}: {p.message}" for p in validate_source(xml).problems]


def test_outputs_of_earlier_requests_are_variables_in_a_sequence_scenario() -> None:
    xml = _with_scenario(
        '<Scenario Id="CreateNewTicket" Type="REST"><Requests>'
        '<Request Name="create" Method="POST" URLFormat="https://{{.host}}/t">'
        '<Outputs><Output Name="TicketId" Path="id"/></Outputs></Request>'
        '<Request Name="update" Method="PUT" URLFormat="https://{{.host}}/t/{{.TicketId}}"/>'
        "</Requests></Scenario>"
    )
    assert _messages(xml) == []


def test_contact_types_do_not_see_each_others_outputs() -> None:
    xml = MINIMAL.replace(
        "        </Request>\n",
        "        </Request>\n"
        '        <Request Name="leads" URLFormat="https://{{.host}}/leads/{{.ContactsId}}">'
        '<Outputs><Output Name="ContactsId" Path="a"/><Output Name="FirstName" Path="b"/>'
        '<Output Name="BusinessNumber" Path="c"/></Outputs></Request>\n',
        1,
    )
    assert _messages(xml) == [
        "warning: variable 'ContactsId' is never defined here (it renders empty)"
    ]


def test_common_requests_see_the_variables_of_the_chain_that_reaches_them() -> None:
    xml = _with_scenario(
        '<Scenario Id="Common" Type="REST"><Requests>'
        '<Request Name="phones" URLFormat="https://{{.host}}/c/{{.ContactsId}}?p={{.Phone}}">'
        '<Outputs><Output Name="MobileNumber" Path="m"/></Outputs></Request>'
        '<Request Name="orphan" URLFormat="https://{{.host}}/x"/>'
        "</Requests></Scenario>"
    ).replace("<Outputs>\n", '<Outputs Next="phones">\n', 1)
    assert _messages(xml) == ["warning: request 'orphan' in Common is never named by a Next"]


def test_scenario_parameters_and_custom_scenario_parameters_are_variables() -> None:
    xml = _with_scenario(
        '<Scenario Id="CreateNewTicket" Type="REST"><Parameters>'
        '<Parameter Name="Subject" Value="Call from {{.Call_From}}"/>'
        '<Parameter Father="CustomScenarioParameter" Name="Queue" Value="7"/></Parameters>'
        '<Requests><Request Name="t" Method="POST" URLFormat="https://{{.host}}/t">'
        '<Parameters><Parameter Name="Data" Type="Body" '
        'Value="{&quot;s&quot;:&quot;{{.Subject}}&quot;,&quot;q&quot;:{{.Queue}},'
        '&quot;d&quot;:{{.Talk_Duration_Sec}}}"/></Parameters></Request></Requests></Scenario>'
    )
    assert _messages(xml) == []


def test_ticket_variables_are_not_defined_in_the_lookup() -> None:
    xml = MINIMAL.replace("{{UrlEncode .Phone}}", "{{UrlEncode .Phone}}&amp;t={{.TicketId}}")
    assert _messages(xml) == [
        "warning: variable 'TicketId' is never defined here (it renders empty)"
    ]


def test_follow_up_outputs_are_global_variables() -> None:
    xml = _with_scenario(
        '<Scenario Id="FollowUpRequests" Type="REST"><Requests>'
        '<Request Name="login" Method="POST" Trigger="after_auth" URLFormat="https://{{.host}}/l">'
        '<Outputs><Output Name="SessionId" Path="$.data.session"/></Outputs></Request>'
        "</Requests></Scenario>"
    ).replace("{{UrlEncode .Phone}}", "{{UrlEncode .Phone}}&amp;s={{.SessionId}}")
    assert _messages(xml) == []


def test_all_problems_are_collected_not_just_the_first() -> None:
    xml = MINIMAL.replace('AuthType="none"', 'AuthType="x"').replace(
        "{{UrlEncode .Phone}}", "{{ Lower .Phone }}"
    )
    report = validate_source(xml, "m.xml")
    assert [p.code for p in report.errors] == ["auth-type", "expression"]


def test_warnings_do_not_make_a_template_invalid() -> None:
    report = validate_source(MINIMAL.replace(".Phone}}", ".Phnoe}}"))
    assert report.ok
    assert [p.severity for p in report.problems] == [Severity.WARNING]


def test_load_valid_template_refuses_errors_with_all_of_them() -> None:
    bad = MINIMAL.replace('MaxConcurrentRequest="2"', 'MaxConcurrentRequest="0"')
    with pytest.raises(TemplateProblemsError) as caught:
        load_valid_template(bad, "bad.xml")
    assert str(caught.value) == (
        "bad.xml:2:95: Information/@MaxConcurrentRequest: MaxConcurrentRequest must be a "
        "whole number of at least 1 (found '0')"
    )
    assert load_valid_template(MINIMAL).key == "mini"


def test_unreadable_xml_is_a_report_not_an_exception() -> None:
    report = validate_source("<Information", "x.xml")
    assert not report.ok and report.template is None and report.summary is None
    assert report.problems[0].code == "xml-malformed"


def test_templates_built_in_code_validate_without_positions() -> None:
    template = validate_source(MINIMAL).template
    assert template is not None
    data = template.model_dump(by_alias=True)
    built = HelpdeskTemplate.model_validate({**data, "AuthType": "digest"})
    [problem] = validate_template(built).problems
    assert (problem.line, problem.column, problem.path) == (None, None, "Information/@AuthType")


def test_summary_lists_what_the_template_does(tmp_path: Path) -> None:
    path = tmp_path / "mini.xml"
    path.write_text(MINIMAL)
    summary = validate_file(path).summary
    assert summary is not None
    assert summary.requests_by_scenario == {"AuthMethod": [], "SyncContactAuto": ["contacts"]}
    assert summary.variables_used == ["ContactsId", "Phone", "host"]
    assert summary.custom_fields == [("host", "string")]


def test_every_scenario_has_a_variable_catalogue_entry() -> None:
    from deskline.templates.model import ScenarioId

    assert set(BUILTIN_VARIABLES) == set(ScenarioId)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(MINIMAL)), st.integers(0, 40), st.text(max_size=12))
def test_validation_never_crashes_on_damaged_templates(start: int, length: int, junk: str) -> None:
    damaged = MINIMAL[:start] + junk + MINIMAL[start + length :]
    report = validate_source(damaged, "d.xml")
    assert all(p.message for p in report.problems)
    assert report.ok == (not report.errors)
