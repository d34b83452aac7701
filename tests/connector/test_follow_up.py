"""Follow-up requests (F18): a session login on after_auth that yields the bearer token, run
again when the helpdesk rejects the token; outputs read with JSONPath into variables."""

# ruff: noqa: E501
from __future__ import annotations

import httpx

from deskline.connector import Connector
from tests.connector.templates import LOOKUP, desk_template
from tests.fakes.generic_helpdesk import GenericHelpdesk

LOGIN = """
    <Scenario Id="FollowUpRequests" Type="REST">
      <Requests>
        <Request Name="Login" Method="POST" Trigger="after_auth" URLFormat="https://{{.domain}}/api/v1/session">
          <Parameters>
            <Parameter Name="Content-Type" Type="Header" Value="application/json"/>
            <Parameter Name="Data" Type="Body" Value="{&quot;username&quot;:&quot;{{.username}}&quot;,&quot;password&quot;:&quot;{{.password}}&quot;}"/>
          </Parameters>
          <Outputs>
            <Output Name="AccessToken" Path="$.data.session_token"/>
            <Output Name="LoggedInAs,SessionUser" Path="$.data.user,data.user"/>
          </Outputs>
        </Request>
      </Requests>
    </Scenario>"""
FIELDS = """
        <Parameter Father="CustomFieldList" Name="username" Editor="string" Title="User"/>
        <Parameter Father="CustomFieldList" Name="password" Editor="password" Title="Password"/>"""


def session_template() -> object:
    return desk_template(FIELDS, auth_type="bearer_token", scenarios=LOOKUP + LOGIN)


async def test_session_login_gives_the_token_and_runs_again_when_it_is_rejected(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    desk.add_contact("Ada", "Lovelace", "+15551230001")
    values = {"domain": "desk.example", "username": "agent", "password": "s3cret"}
    async with Connector(session_template(), values, http_client=http_client) as connector:  # type: ignore[arg-type]
        first = await connector.lookup("+15551230001")
        login = desk.requests[0]
        assert (login.method, login.path, login.body) == (
            "POST",
            "/api/v1/session",
            {"username": "agent", "password": "s3cret"},
        )
        assert "authorization" not in login.headers and "accept" not in login.headers
        token = connector.follow_ups.values["AccessToken"]
        assert connector.follow_ups.values["LoggedInAs"] == "agent"
        assert connector.follow_ups.values["SessionUser"] == "agent"
        assert desk.requests[1].headers["authorization"] == f"Bearer {token}"
        assert desk.requests[1].headers["accept"] == "application/json"
        assert [c.id for c in first.contacts] == ["1001"]
        assert [e.request_name for e in first.log] == ["Login", "Contacts"]
        assert "s3cret" not in (first.log[0].body or "")

        desk.static_tokens.clear()  # the session expired
        desk.requests.clear()
        again = await connector.lookup("+15551230001")
    assert [f"{r.method} {r.path} {r.status}" for r in desk.requests] == [
        "GET /api/v1/contacts/search 401",
        "POST /api/v1/session 200",
        "GET /api/v1/contacts/search 200",
    ]
    assert [c.id for c in again.contacts] == ["1001"]
