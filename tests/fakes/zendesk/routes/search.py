"""``GET /api/v2/search`` (§1.4): users by ``role:``/``phone:`` terms, from the search index
(so the indexing delay applies), offset pagination, and the ``unavailable`` error switch."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.zendesk.errors import ZendeskError, bad_request
from tests.fakes.zendesk.pagination import offset_page
from tests.fakes.zendesk.records import User
from tests.fakes.zendesk.routes.common import base_url, emulator_of, json_response, query_pairs
from tests.fakes.zendesk.search_query import UserQuery

#: Status of the "unavailable" answer: the body is documented, the status is not (unverified).
UNAVAILABLE_STATUS = 503
SEARCH_RESULT_CAP = 1000


async def search(request: Request) -> Response:
    emulator, base, query = emulator_of(request), base_url(request), query_pairs(request)
    if emulator.config.search_unavailable:
        raise ZendeskError(
            UNAVAILABLE_STATUS,
            {
                "error": "unavailable",
                "description": "Sorry, we could not complete your search query. "
                "Please try again in a moment.",
            },
        )
    text = request.query_params.get("query")
    if not text:
        raise bad_request("invalid", "Missing query parameter")
    parsed = UserQuery.parse(text)
    users = [u for u in emulator.store.searchable_users() if parsed.matches(u)]
    if request.query_params.get("sort_by") in ("created_at", "updated_at"):
        sort_key = request.query_params["sort_by"]
        users.sort(
            key=lambda u: getattr(u, sort_key),
            reverse=request.query_params.get("sort_order", "desc") == "desc",
        )

    def render(user: User) -> dict[str, Any]:
        return user.to_json(base) | {"result_type": "user"}

    page = offset_page(
        users[:SEARCH_RESULT_CAP],
        render,
        key="results",
        base=base,
        path="/api/v2/search",
        query=query,
    )
    return json_response(page | {"facets": None})


routes = [Route("/api/v2/search", search, methods=["GET"])]
