"""The control API under ``/_emulator``: seed data, flip switches, inject faults, and read
what happened (requests, validation errors, display calls, state). No authentication."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.zendesk.clock import ManualClock
from tests.fakes.zendesk.errors import ZendeskError
from tests.fakes.zendesk.routes.common import base_url, body_object, emulator_of, json_response

Handler = Callable[[Request], Awaitable[Response]]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientBody(_Body):
    identifier: str = Field(min_length=1)
    redirect_urls: list[str] = Field(min_length=1)
    kind: Literal["public", "confidential"] = "confidential"
    secret: str | None = None
    name: str = "deskline"


class RevokeBody(_Body):
    token: str | None = None
    client_id: str | None = None


class FaultBody(_Body):
    pattern: str = Field(min_length=1)
    kind: Literal["error", "delay", "drop", "lost_answer"] = "error"
    method: str | None = None
    status: int = 503
    delay_seconds: float = 0.0
    times: int | None = Field(default=None, ge=1)
    seconds: float | None = Field(default=None, gt=0)


class StormBody(_Body):
    requests: int | None = Field(default=None, ge=1)
    seconds: float | None = Field(default=None, gt=0)
    retry_after: int = Field(default=1, ge=0)


def _invalid(message: str) -> ZendeskError:
    return ZendeskError(422, {"error": "InvalidControlRequest", "description": message})


def controlled(handler: Handler) -> Handler:
    """Turn bad control input into a 422 that says what is wrong."""

    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except ValidationError as exc:
            raise _invalid(str(exc)) from None
        except ValueError as exc:
            raise _invalid(str(exc)) from None

    return wrapper


async def state(request: Request) -> Response:
    emulator = emulator_of(request)
    with emulator.lock:
        return json_response(emulator.state(base_url(request)))


async def reset(request: Request) -> Response:
    emulator_of(request).reset()
    return Response(status_code=204)


async def config(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "PATCH":
        emulator.configure(**await body_object(request))
    return json_response(emulator.config.model_dump())


async def add_user(request: Request) -> Response:
    emulator = emulator_of(request)
    user = emulator.create_user(await body_object(request))
    return json_response({"user": user.to_json(base_url(request))}, 201)


async def add_client(request: Request) -> Response:
    body = ClientBody.model_validate(await body_object(request))
    client = emulator_of(request).register_oauth_client(**body.model_dump())
    return json_response(client.to_json(reveal_secret=True), 201)


async def revoke(request: Request) -> Response:
    body = RevokeBody.model_validate(await body_object(request))
    return json_response({"revoked": emulator_of(request).revoke_tokens(**body.model_dump())})


async def add_api_token(request: Request) -> Response:
    token = (await body_object(request)).get("token")
    return json_response({"token": emulator_of(request).add_api_token(token)}, 201)


async def faults(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "POST":
        body = FaultBody.model_validate(await body_object(request))
        rule = emulator.inject_fault(**body.model_dump())
        return json_response(rule.to_json(), 201)
    if request.method == "DELETE":
        emulator.faults.clear()
        return Response(status_code=204)
    return json_response([rule.to_json() for rule in emulator.faults.rules])


async def storm(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "DELETE":
        emulator.rate_limiter.storm = None
        return Response(status_code=204)
    body = StormBody.model_validate(await body_object(request))
    emulator.start_429_storm(**body.model_dump())
    return json_response(body.model_dump(), 201)


async def requests(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "DELETE":
        emulator.recorder.clear()
        return Response(status_code=204)
    found = emulator.requests(request.query_params.get("method"), request.query_params.get("path"))
    return json_response([r.to_json() for r in found])


async def validation_errors(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "DELETE":
        emulator.validation_issues.clear()
        return Response(status_code=204)
    found = emulator.validation_errors(request.query_params.get("direction"))
    return json_response([issue.to_json() for issue in found])


async def displays(request: Request) -> Response:
    return json_response([d.to_json() for d in emulator_of(request).store.displays])


async def advance_clock(request: Request) -> Response:
    emulator = emulator_of(request)
    if not isinstance(emulator.clock, ManualClock):
        raise ZendeskError(
            409,
            {"error": "ClockNotManual", "description": "start the emulator with a manual clock"},
        )
    seconds: Any = (await body_object(request)).get("seconds")
    if not isinstance(seconds, int | float) or seconds < 0:
        raise _invalid("seconds must be a non-negative number")
    return json_response({"now": emulator.clock.advance(float(seconds))})


routes = [
    Route("/_emulator/state", state, methods=["GET"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/config", controlled(config), methods=["GET", "PATCH"]),
    Route("/_emulator/users", controlled(add_user), methods=["POST"]),
    Route("/_emulator/oauth/clients", controlled(add_client), methods=["POST"]),
    Route("/_emulator/oauth/revoke", controlled(revoke), methods=["POST"]),
    Route("/_emulator/api-tokens", controlled(add_api_token), methods=["POST"]),
    Route("/_emulator/faults", controlled(faults), methods=["GET", "POST", "DELETE"]),
    Route("/_emulator/rate-limit/storm", controlled(storm), methods=["POST", "DELETE"]),
    Route("/_emulator/requests", requests, methods=["GET", "DELETE"]),
    Route("/_emulator/validation-errors", validation_errors, methods=["GET", "DELETE"]),
    Route("/_emulator/displays", displays, methods=["GET"]),
    Route("/_emulator/clock/advance", controlled(advance_clock), methods=["POST"]),
]
