"""Every request ends in one Outcome: the default table, Retry-After, template overrides, and
what the connector raises for each (against the generic helpdesk over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from deskline.connector import Connector, Outcome
from deskline.connector.outcome import default_decision, parse_retry_after
from deskline.errors import HelpdeskAuthError, HelpdeskError
from tests.connector.templates import desk_template
from tests.fakes.generic_helpdesk import GenericHelpdesk

TOKEN = '<Parameter Father="CustomFieldList" Name="AccessToken" Editor="password" Title="Token"/>'
FIELDS = {"domain": "desk.example", "AccessToken": "static-token-1"}
SEARCH = "/api/v1/contacts/search"


@pytest.mark.parametrize(
    ("status", "lookup", "outcome"),
    [
        (200, False, Outcome.SUCCESS),
        (201, False, Outcome.SUCCESS),
        (204, False, Outcome.SUCCESS),
        (401, False, Outcome.REAUTHENTICATE),
        (403, False, Outcome.FAIL),
        (404, True, Outcome.SUCCESS),
        (404, False, Outcome.FAIL),
        (400, False, Outcome.FAIL),
        (422, False, Outcome.FAIL),
        (408, False, Outcome.RETRY),
        (425, False, Outcome.RETRY),
        (429, False, Outcome.RETRY),
        (500, False, Outcome.RETRY),
        (503, True, Outcome.RETRY),
        (302, False, Outcome.FAIL),
    ],
)
def test_default_table(status: int, lookup: bool, outcome: Outcome) -> None:
    assert default_decision(status, None, lookup=lookup).outcome is outcome


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC), usegmt=True)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(later, now) == 30.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


async def lookup_error(
    desk: GenericHelpdesk, http: httpx.AsyncClient, template: object
) -> HelpdeskError:
    async with Connector(template, FIELDS, http_client=http) as connector:  # type: ignore[arg-type]
        with pytest.raises(HelpdeskError) as caught:
            await connector.lookup("+15551230001")
    return caught.value


async def test_429_is_retried_after_the_time_the_helpdesk_asks(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    desk.fail_next("GET", SEARCH, 429, headers={"Retry-After": "7"}, body={"error": "slow down"})
    error = await lookup_error(desk, http_client, desk_template(TOKEN, auth_type="bearer_token"))
    assert (error.outcome, error.retry_after, error.status_code) == ("retry", 7.0, 429)
    assert "slow down" in str(error)


async def test_503_and_403_and_404(desk: GenericHelpdesk, http_client: httpx.AsyncClient) -> None:
    template = desk_template(TOKEN, auth_type="bearer_token")
    desk.fail_next("GET", SEARCH, 503, headers={"Retry-After": "120"})
    assert (await lookup_error(desk, http_client, template)).retry_after == 120.0
    desk.fail_next("GET", SEARCH, 403)
    forbidden = await lookup_error(desk, http_client, template)
    assert (forbidden.outcome, forbidden.retry_after) == ("fail", None)
    desk.fail_next("GET", SEARCH, 404, body={"error": "no such contact"})
    async with Connector(template, FIELDS, http_client=http_client) as connector:
        result = await connector.lookup("+15551230001")
    assert result.contacts == [] and result.log[-1].outcome == "success"


async def test_connection_refused_is_a_retry() -> None:
    template = desk_template(TOKEN, auth_type="bearer_token")
    fields = {**FIELDS, "domain": "127.0.0.1:9"}  # nothing listens on the discard port
    async with Connector(template, fields) as connector:
        with pytest.raises(HelpdeskError) as caught:
            await connector.lookup("+15551230001")
    assert caught.value.outcome == "retry" and caught.value.status_code is None
    assert not isinstance(caught.value, HelpdeskAuthError)


OVERRIDES = """
        <Parameter Father="OutcomeMap" Name="409" Value="success"/>
        <Parameter Father="OutcomeMap" Name="4xx" Value="retry"/>
        <Parameter Father="OutcomeMap" Type="ErrorCode" Name="maintenance" Value="fail"/>"""


async def test_a_template_overrides_the_table_per_scenario(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    template = desk_template(TOKEN, auth_type="bearer_token", lookup_parameters=OVERRIDES)
    desk.fail_next("GET", SEARCH, 409, body={"error": "conflict"})
    async with Connector(template, FIELDS, http_client=http_client) as connector:
        assert (await connector.lookup("+15551230001")).contacts == []
    desk.fail_next("GET", SEARCH, 400, body={"error": "bad"})
    assert (await lookup_error(desk, http_client, template)).outcome == "retry"  # 4xx class
    desk.fail_next("GET", SEARCH, 503, body={"error": {"code": "maintenance"}})
    assert (await lookup_error(desk, http_client, template)).outcome == "fail"  # error code


async def test_overrides_in_auth_method_apply_to_every_scenario(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    template = desk_template(
        TOKEN + '<Parameter Father="OutcomeMap" Name="403" Value="retry"/>',
        auth_type="bearer_token",
    )
    desk.fail_next("GET", SEARCH, 403)
    assert (await lookup_error(desk, http_client, template)).outcome == "retry"
