"""Users and identities (§1.5): show, create, update, list (cursor and offset), search."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.zendesk.pagination import offset_page, paginate
from tests.fakes.zendesk.records import Identity, User
from tests.fakes.zendesk.routes.common import (
    base_url,
    emulator_of,
    int_param,
    json_response,
    query_pairs,
    wrapped_object,
)
from tests.fakes.zendesk.search_query import UserQuery


async def list_users(request: Request) -> Response:
    emulator, base, query = emulator_of(request), base_url(request), query_pairs(request)
    roles = {v for k, v in query if k in ("role", "role[]")}
    external_id = request.query_params.get("external_id")
    users = [
        u
        for u in emulator.store.users.values()
        if (not roles or u.role in roles) and (external_id is None or u.external_id == external_id)
    ]
    return json_response(
        paginate(
            users,
            lambda u: u.to_json(base),
            key="users",
            base=base,
            path="/api/v2/users",
            query=query,
            record_cap=emulator.config.offset_pagination_cap,
        )
    )


async def create_user(request: Request) -> Response:
    emulator, data = emulator_of(request), await wrapped_object(request, "user")
    user = emulator.store.create_user(data)
    return json_response({"user": user.to_json(base_url(request))}, 201)


async def show_user(request: Request) -> Response:
    user = emulator_of(request).store.user(int_param(request, "user_id"))
    return json_response({"user": user.to_json(base_url(request))})


async def update_user(request: Request) -> Response:
    store = emulator_of(request).store
    user = store.user(int_param(request, "user_id"))
    store.update_user(user, await wrapped_object(request, "user"))
    return json_response({"user": user.to_json(base_url(request))})


async def search_users(request: Request) -> Response:
    """``/users/search``: a query (search syntax or part of any property) or an external id;
    served from the search index, so the indexing delay applies; offset pagination only."""
    emulator, base, query = emulator_of(request), base_url(request), query_pairs(request)
    users: list[User] = emulator.store.searchable_users()
    external_id = request.query_params.get("external_id")
    if external_id is not None:
        users = [u for u in users if u.external_id == external_id]
    text = request.query_params.get("query")
    if text:
        parsed = UserQuery.parse(text)
        users = [u for u in users if parsed.matches(u)]
    return json_response(
        offset_page(
            users,
            lambda u: u.to_json(base),
            key="users",
            base=base,
            path="/api/v2/users/search",
            query=query,
            record_cap=emulator.config.offset_pagination_cap,
        )
    )


async def list_identities(request: Request) -> Response:
    emulator, base = emulator_of(request), base_url(request)
    user = emulator.store.user(int_param(request, "user_id"))
    types = {v for k, v in request.query_params.multi_items() if k in ("type", "type[]")}
    identities = [i for i in user.identities if not types or i.type in types]

    def render(identity: Identity) -> dict[str, object]:
        return identity.to_json(base)

    return json_response(
        paginate(
            identities,
            render,
            key="identities",
            base=base,
            path=f"/api/v2/users/{user.id}/identities",
            query=query_pairs(request),
        )
    )


async def create_identity(request: Request) -> Response:
    store = emulator_of(request).store
    user = store.user(int_param(request, "user_id"))
    data = await wrapped_object(request, "identity")
    identity = store.add_identity(user, data.get("type"), data.get("value"))
    return json_response({"identity": identity.to_json(base_url(request))}, 201)


routes = [
    Route("/api/v2/users", list_users, methods=["GET"]),
    Route("/api/v2/users", create_user, methods=["POST"]),
    Route("/api/v2/users/search", search_users, methods=["GET"]),
    Route("/api/v2/users/{user_id}", show_user, methods=["GET"]),
    Route("/api/v2/users/{user_id}", update_user, methods=["PUT"]),
    Route("/api/v2/users/{user_id}/identities", list_identities, methods=["GET"]),
    Route("/api/v2/users/{user_id}/identities", create_identity, methods=["POST"]),
]
