"""Incremental user export, cursor based (``GET /api/v2/incremental/users/cursor.json``).

As Zendesk documents it: the first request gives ``start_time`` (Unix seconds), the next ones
the ``cursor`` of the answer before; users come ordered by their last change (``updated_at``,
then id), ``per_page`` at a time (at most 1000, the default); users changed within the minute
before the request are left out (they come with a later request). Every answer carries
``after_cursor`` (to continue from, also at the end: keep it for the next poll),
``after_url``, ``before_cursor``/``before_url`` and ``end_of_stream`` (true once everything
up to now has been returned).
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.zendesk.errors import bad_request
from tests.fakes.zendesk.records import User
from tests.fakes.zendesk.routes.common import base_url, emulator_of, json_response

PATH = "/api/v2/incremental/users/cursor.json"
MAX_PER_PAGE = 1000
EXCLUDED_RECENT_SECONDS = 60.0

Position = tuple[float, int]


def encode_cursor(position: Position) -> str:
    return base64.urlsafe_b64encode(f"{position[0]!r}:{position[1]}".encode()).decode()


def decode_cursor(cursor: str) -> Position:
    try:
        moment, user_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        return float(moment), int(user_id)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("InvalidCursor", "The cursor is invalid") from None


def _start(request: Request) -> Position:
    cursor = request.query_params.get("cursor")
    if cursor:
        return decode_cursor(cursor)
    raw = request.query_params.get("start_time")
    if raw is None:
        raise bad_request("InvalidValue", "start_time or cursor is required")
    try:
        start_time = int(raw)
    except ValueError:
        raise bad_request("InvalidValue", "start_time must be a Unix time in seconds") from None
    return float(start_time) - 1e-6, -1  # users changed at start_time or later


def _per_page(request: Request) -> int:
    raw = request.query_params.get("per_page", str(MAX_PER_PAGE))
    try:
        return max(1, min(MAX_PER_PAGE, int(raw)))
    except ValueError:
        raise bad_request("InvalidValue", "per_page must be a number") from None


async def incremental_users(request: Request) -> Response:
    emulator, base = emulator_of(request), base_url(request)
    start, per_page = _start(request), _per_page(request)
    until = emulator.clock.now() - EXCLUDED_RECENT_SECONDS
    changed = sorted(
        (u for u in emulator.store.users.values() if u.updated_at <= until),
        key=lambda u: (u.updated_at, u.id),
    )
    after = [u for u in changed if (u.updated_at, u.id) > start]
    page: list[User] = after[:per_page]
    last = (page[-1].updated_at, page[-1].id) if page else start
    after_cursor = encode_cursor(last)
    before_cursor = encode_cursor(start)
    return json_response(
        {
            "users": [u.to_json(base) for u in page],
            "after_url": f"{base}{PATH}?{urlencode({'cursor': after_cursor})}",
            "after_cursor": after_cursor,
            "before_url": f"{base}{PATH}?{urlencode({'cursor': before_cursor})}",
            "before_cursor": before_cursor,
            "end_of_stream": len(after) <= per_page,
        }
    )


routes = [Route(PATH.removesuffix(".json"), incremental_users, methods=["GET"])]
