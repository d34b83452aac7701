"""UserAssociation paging against the generic helpdesk: disabled, page number, offset, next
link, and the 100-request limit per sync."""

from __future__ import annotations

import httpx
import pytest

from deskline.connector import Connector
from deskline.connector.pagination import NextLinkPaginator
from tests.connector.templates import LOOKUP, USERS, desk_template
from tests.fakes.generic_helpdesk import GenericHelpdesk

TOKEN = '<Parameter Father="CustomFieldList" Name="AccessToken" Editor="password" Title="Token"/>'
FIELDS = {"domain": "desk.example", "AccessToken": "static-token-1"}


def users_template(pagination: str) -> object:
    return desk_template(
        TOKEN, auth_type="bearer_token", scenarios=LOOKUP + USERS, pagination=pagination
    )


def setting(name: str, value: str) -> str:
    return f'<Parameter Name="{name}" Value="{value}"/>'


PAGE = (
    setting("PaginationType", "page")
    + setting("PageParamName", "page")
    + setting("PageStart", "1")
    + setting("PageSizeParamName", "per_page")
    + setting("PageSize", "4")
)
OFFSET = (
    setting("PaginationType", "offset")
    + setting("OffsetParamName", "offset")
    + setting("OffsetStart", "0")
    + setting("LimitParamName", "limit")
    + setting("Limit", "4")
)
LINK = setting("PaginationType", "link") + setting("NextLinkPath", "links.next")


@pytest.mark.parametrize(
    ("pagination", "queries", "fetched"),
    [
        # one request: the first page of the helpdesk's own paging (2 users) and no more
        (setting("PaginationType", "disabled"), [[]], 2),
        (PAGE, [[("page", str(n)), ("per_page", "4")] for n in (1, 2, 3)], 10),
        (OFFSET, [[("offset", str(n)), ("limit", "4")] for n in (0, 4, 8)], 10),
        (LINK, [[], [("after", "2")], [("after", "4")], [("after", "6")], [("after", "8")]], 10),
    ],
    ids=["disabled", "page", "offset", "link"],
)
async def test_each_paging_mode_fetches_every_user(
    pagination: str,
    queries: list[list[tuple[str, str]]],
    fetched: int,
    desk: GenericHelpdesk,
    http_client: httpx.AsyncClient,
) -> None:
    desk.add_users(10)
    async with Connector(users_template(pagination), FIELDS, http_client=http_client) as connector:  # type: ignore[arg-type]
        result = await connector.fetch_users()
    assert [r.query for r in desk.requests] == queries
    assert [u.id for u in result.users] == [str(n) for n in range(1001, 1001 + fetched)]
    assert result.users[-1].email == f"agent{fetched - 1}@desk.example"
    assert result.warnings == []


async def test_a_sync_stops_after_100_requests_and_says_so(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    desk.add_users(103)
    desk.link_page_size = 1
    async with Connector(users_template(LINK), FIELDS, http_client=http_client) as connector:  # type: ignore[arg-type]
        result = await connector.fetch_users()
    assert len(desk.requests) == 100
    assert len(result.users) == 100
    assert result.warnings and "100 requests" in result.warnings[0]


def test_next_link_to_another_host_or_back_to_a_seen_page_stops() -> None:
    paginator = NextLinkPaginator("links.next")
    first = paginator.first_url("https://desk.example/api/users")
    assert paginator.next_url(first, {"links": {"next": "https://evil.example/steal"}}, 5) is None
    relative = paginator.next_url(first, {"links": {"next": "/api/users?after=5"}}, 5)
    assert relative == "https://desk.example/api/users?after=5"
    assert paginator.next_url(relative, {"links": {"next": "/api/users?after=5"}}, 5) is None
    assert paginator.next_url(first, {"links": {"next": None}}, 5) is None
