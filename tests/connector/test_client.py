"""The HTTP client of a connection: MaxConcurrentRequest, size cap, redirects, timeouts."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from deskline.connector import ClientLimits, Connector
from deskline.errors import HelpdeskError
from tests.connector.templates import desk_template
from tests.fakes.generic_helpdesk import GenericHelpdesk

TOKEN = '<Parameter Father="CustomFieldList" Name="AccessToken" Editor="password" Title="Token"/>'
FIELDS = {"domain": "desk.example", "AccessToken": "static-token-1"}


async def test_max_concurrent_requests_is_enforced_at_the_helpdesk(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    desk.add_contact("Ada", "Lovelace", "+15551230001")
    desk.delay = 0.05  # each request takes a while, so unlimited requests would pile up
    template = desk_template(TOKEN, auth_type="bearer_token", max_concurrent=3)
    async with Connector(template, FIELDS, http_client=http_client) as connector:
        results = await asyncio.gather(*(connector.lookup("+15551230001") for _ in range(12)))
    assert all(len(r.contacts) == 1 for r in results)
    assert len(desk.requests) == 12
    assert 2 <= desk.max_in_flight <= 3


def mock_connector(handler: httpx.MockTransport, **limits: float) -> Connector:
    template = desk_template(TOKEN, auth_type="bearer_token")
    client = httpx.AsyncClient(transport=handler)
    return Connector(template, FIELDS, http_client=client, limits=ClientLimits(**limits))  # type: ignore[arg-type]


async def test_an_oversized_response_is_refused() -> None:
    big = b'{"contacts":[' + b'{"id":1},' * 20_000 + b'{"id":2}]}'
    connector = mock_connector(
        httpx.MockTransport(lambda r: httpx.Response(200, content=big)), max_response_bytes=64_000
    )
    with pytest.raises(HelpdeskError, match="larger than 64000 bytes") as caught:
        await connector.lookup("+1555")
    assert caught.value.outcome == "fail"


async def test_redirects_stay_on_the_same_host() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.path} {request.headers.get('authorization')}")
        if request.url.path == "/api/v1/contacts/search":
            return httpx.Response(302, headers={"location": "/api/v2/contacts/search?phone=1"})
        if request.url.path == "/api/v2/contacts/search":
            return httpx.Response(307, headers={"location": "https://evil.example/collect"})
        return httpx.Response(200, json={})

    connector = mock_connector(httpx.MockTransport(handler))
    with pytest.raises(HelpdeskError, match="another host") as caught:
        await connector.lookup("+1555")
    assert caught.value.outcome == "fail"
    assert seen == [
        "desk.example/api/v1/contacts/search Bearer static-token-1",
        "desk.example/api/v2/contacts/search Bearer static-token-1",
    ]


async def test_a_timeout_is_a_retry() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    connector = mock_connector(httpx.MockTransport(handler), timeout=0.5)
    with pytest.raises(HelpdeskError, match="timed out") as caught:
        await connector.lookup("+1555")
    assert caught.value.outcome == "retry"
