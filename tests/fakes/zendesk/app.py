"""The Starlette application: routes per area behind the :class:`FrontDoor`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.zendesk.errors import ZendeskError, invalid_endpoint
from tests.fakes.zendesk.front_door import FrontDoor
from tests.fakes.zendesk.routes import (
    control,
    incremental,
    oauth,
    search,
    tickets,
    users,
    voice,
)
from tests.fakes.zendesk.routes.common import error_response, json_response

if TYPE_CHECKING:
    from tests.fakes.zendesk.emulator import ZendeskEmulator


async def _zendesk_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ZendeskError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(invalid_endpoint())
    return json_response({"error": "InvalidEndpoint", "description": exc.detail}, exc.status_code)


def create_app(emulator: ZendeskEmulator) -> Starlette:
    app = Starlette(
        routes=[
            *oauth.routes,
            *users.routes,
            *incremental.routes,
            *search.routes,
            *tickets.routes,
            *voice.routes,
            *control.routes,
        ],
        middleware=[Middleware(FrontDoor, emulator=emulator)],
        exception_handlers={ZendeskError: _zendesk_error, HTTPException: _http_error},
    )
    app.state.emulator = emulator
    return app
