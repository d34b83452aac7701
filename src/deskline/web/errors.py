"""Every error of the admin API is a JSON body with a ``message`` (and sometimes details).

Raise :func:`api_error` in routes. Validation errors list each problem's path and message but
never the value that was sent (it may be a password or a secret). Unexpected exceptions are
logged and answered with a plain 500 that reveals nothing.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from deskline.errors import StorageError

log = logging.getLogger(__name__)


def api_error(
    status: int, message: str, *, headers: dict[str, str] | None = None, **details: Any
) -> NoReturn:
    """Answer ``status`` with ``{"message": message, **details}``."""
    raise HTTPException(status, detail={"message": message, **details}, headers=headers)


def _body(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict) and "message" in detail:
        return detail
    return {"message": str(detail)}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(_body(exc.detail), exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"path": ".".join(str(part) for part in error.get("loc", ())), "message": error["msg"]}
        for error in exc.errors()
    ]
    return JSONResponse({"message": "the request is invalid", "problems": problems}, 422)


async def _storage_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"message": "the database is unavailable; try again later"}, 503, {"Retry-After": "5"}
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path)
    return JSONResponse({"message": "internal error; see the server log"}, 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(Exception, _unexpected)
