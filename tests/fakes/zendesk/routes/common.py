"""What every handler needs: the emulator, the caller, the base URL, the parsed body."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.zendesk.auth import Principal
from tests.fakes.zendesk.errors import ZendeskError, bad_request
from tests.fakes.zendesk.form_body import parse_form

if TYPE_CHECKING:
    from tests.fakes.zendesk.emulator import ZendeskEmulator


def emulator_of(request: Request) -> ZendeskEmulator:
    emulator: ZendeskEmulator = request.app.state.emulator
    return emulator


def principal_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def query_pairs(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


async def body_object(request: Request) -> dict[str, Any]:
    """The body as a dict: JSON, or a Rails-style form; 400 when it is neither."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        return parse_form(raw)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise bad_request("InvalidJSON", "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("InvalidJSON", "The request body must be a JSON object")
    return data


async def wrapped_object(request: Request, key: str) -> dict[str, Any]:
    """``{"ticket": {...}}`` → the inner object; 400 when it is missing."""
    data = (await body_object(request)).get(key)
    if not isinstance(data, dict):
        raise bad_request("InvalidParameter", f"Parameter {key} is required and must be an object")
    return data


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status, headers=headers, media_type="application/json; charset=utf-8")


def error_response(error: ZendeskError) -> Response:
    if error.body is None:
        return Response(b"", error.status, headers=error.headers, media_type="application/json")
    return json_response(error.body, error.status, error.headers)


def int_param(request: Request, name: str) -> int:
    raw = request.path_params[name]
    try:
        return int(raw)
    except ValueError:
        raise ZendeskError(404, {"error": "RecordNotFound", "description": "Not found"}) from None
