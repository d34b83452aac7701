"""The PBX webhook endpoints: events pushed by a PBX, stored before the 2xx.

- ``POST /webhooks/pbx/{connection}``: the generic JSON schema (connections of kind
  ``webhook`` and ``simulator``), authenticated by bearer token or HMAC signature;
- ``POST /webhooks/pseries/{connection}``: the P-Series webhook envelope (kind ``pseries``),
  authenticated by the connection's webhook token (``Authorization: Bearer`` or ``?token=``).

Answers: 200 ``{"accepted": n}`` (plus ``"duplicates": k`` when the sink reports which events
were new); 400 not JSON; 401 bad or missing authentication; 404 unknown connection (or one of
another kind); 409 the connection is disabled; 413 body too large; 422 schema errors with each
field path; 503 storage unavailable (the PBX should retry).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from deskline.calls.events import CallEvent
from deskline.errors import EventPayloadError, StorageError
from deskline.pbx.pseries.config import PSeriesConfig
from deskline.pbx.pseries.events import decode_event
from deskline.pbx.pseries.translate import PSeriesTranslator
from deskline.pbx.webhook.auth import WebhookAuthError, authenticate
from deskline.pbx.webhook.config import MAX_BODY_BYTES, WebhookConfig
from deskline.pbx.webhook.parse import InvalidJson, SchemaViolation, load_json, parse_events
from deskline.pbx.webhook.translate import WebhookTranslator

WebhookSink = Callable[[Sequence[CallEvent]], Awaitable[Sequence[CallEvent] | None]]
"""Stores events (deduplicated by key) and returns once committed; it may return the events
that were new, and the answer then counts the duplicates. An EventSink fits."""

GENERIC_KINDS = frozenset({"webhook", "simulator"})


@dataclass(frozen=True)
class WebhookTarget:
    """What the web app knows of a connection: its kind, validated config and event sink."""

    kind: str
    config: BaseModel
    sink: WebhookSink = field(repr=False)
    enabled: bool = True


Resolver = Callable[[str], Awaitable[WebhookTarget | None]]


class _Reject(Exception):
    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.detail, self.headers = status, detail, headers


_STORAGE_DOWN = (StorageError, SQLAlchemyError, OSError)
"""How an unreachable database shows (asyncpg raises a bare OSError while connecting)."""


def _storage_down() -> _Reject:
    return _Reject(503, "events could not be stored; retry later", {"Retry-After": "5"})


async def _target(resolve: Resolver, connection: str, kinds: frozenset[str]) -> WebhookTarget:
    try:
        target = await resolve(connection)
    except _STORAGE_DOWN:
        raise _storage_down() from None
    if target is None or target.kind not in kinds:
        raise _Reject(404, f"no PBX webhook connection named {connection[:100]!r}")
    if not target.enabled:
        raise _Reject(409, f"PBX connection {connection[:100]!r} is disabled")
    return target


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _Reject(413, f"body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _Reject(413, f"body larger than {limit} bytes")
    return bytes(body)


def _authenticate(request: Request, body: bytes, **secrets: Any) -> None:
    try:
        authenticate(
            request.headers, body, query_token=request.query_params.get("token"), **secrets
        )
    except WebhookAuthError as exc:
        raise _Reject(401, str(exc), {"WWW-Authenticate": "Bearer"}) from None


async def _store(target: WebhookTarget, groups: list[list[CallEvent]]) -> dict[str, int]:
    events = [event for group in groups for event in group]
    try:
        new = await target.sink(events) if events else []
    except _STORAGE_DOWN:
        raise _storage_down() from None
    answer = {"accepted": len(groups)}
    if new is not None:
        new_keys = {event.key for event in new}
        answer["duplicates"] = sum(
            1 for group in groups if group and not any(e.key in new_keys for e in group)
        )
    return answer


def _payload_error(exc: Exception) -> _Reject:
    if isinstance(exc, InvalidJson):
        return _Reject(400, {"message": str(exc), "line": exc.line, "column": exc.column})
    if isinstance(exc, SchemaViolation):
        return _Reject(422, [p.as_dict() for p in exc.problems])
    return _Reject(422, [{"path": "(body)", "message": str(exc)[:500]}])


class PbxWebhooks:
    """The two webhook endpoints, served by :class:`PbxWebhookFastPath` and declared as routes
    (:meth:`router`) for the API's description and for apps without the fast path."""

    def __init__(self, resolve: Resolver) -> None:
        """``resolve`` finds a connection by name (None when unknown)."""
        self.resolve = resolve
        self._pseries: dict[str, tuple[tuple[str, str], PSeriesTranslator]] = {}

    def __repr__(self) -> str:
        return f"PbxWebhooks({self.resolve!r})"

    def _pseries_translator(self, connection: str, config: PSeriesConfig) -> PSeriesTranslator:
        settings = (config.timezone, config.default_country)
        known = self._pseries.get(connection)
        if known is None or known[0] != settings:
            translator = PSeriesTranslator(tz=config.tz, default_country=config.default_country)
            known = self._pseries[connection] = (settings, translator)
        return known[1]

    async def generic(self, connection: str, request: Request) -> JSONResponse:
        try:
            target = await _target(self.resolve, connection, GENERIC_KINDS)
            config = target.config
            if not isinstance(config, WebhookConfig):
                raise _Reject(404, "connection is not a webhook connection")
            body = await _body(request, config.max_body_bytes)
            _authenticate(
                request,
                body,
                token=config.token,
                hmac_secret=config.hmac_secret,
                tolerance=config.timestamp_tolerance_seconds,
            )
            try:
                events = parse_events(body)
                translator = WebhookTranslator(config.default_country)
                groups = [translator.translate_one(event) for event in events]
            except (EventPayloadError, ValidationError) as exc:
                raise _payload_error(exc) from None
            return JSONResponse(await _store(target, groups))
        except _Reject as reject:
            return JSONResponse({"detail": reject.detail}, reject.status, reject.headers)

    async def pseries(self, connection: str, request: Request) -> JSONResponse:
        try:
            target = await _target(self.resolve, connection, frozenset({"pseries"}))
            config = target.config
            if not isinstance(config, PSeriesConfig):
                raise _Reject(404, "connection is not a P-Series connection")
            body = await _body(request, MAX_BODY_BYTES)
            _authenticate(request, body, token=config.webhook_token, hmac_secret=None, tolerance=0)
            translator = self._pseries_translator(connection, config)
            with translator.transaction():  # undone when rejected or not stored
                try:
                    data = load_json(body)
                    envelopes = data if isinstance(data, list) else [data]
                    groups = [translator.translate(decode_event(item)) for item in envelopes]
                except (EventPayloadError, ValidationError) as exc:
                    raise _payload_error(exc) from None
                answer = await _store(target, groups)
            return JSONResponse(answer)
        except _Reject as reject:
            return JSONResponse({"detail": reject.detail}, reject.status, reject.headers)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["PBX webhooks"])

        @router.post("/webhooks/pbx/{connection}", summary="Receive generic PBX events")
        async def generic_webhook(connection: str, request: Request) -> JSONResponse:
            return await self.generic(connection, request)

        @router.post("/webhooks/pseries/{connection}", summary="Receive P-Series webhook events")
        async def pseries_webhook(connection: str, request: Request) -> JSONResponse:
            return await self.pseries(connection, request)

        return router


def install_pbx_webhooks(app: FastAPI, resolve: Resolver, *, fast_path: bool = True) -> None:
    """The webhook routes on ``app`` (first: they are matched in order), and with
    ``fast_path`` the middleware that serves them before FastAPI's routing."""
    webhooks = PbxWebhooks(resolve)
    app.include_router(webhooks.router())
    if fast_path:
        app.add_middleware(PbxWebhookFastPath, webhooks=webhooks)


_WEBHOOK_PATH = re.compile(r"/webhooks/(pbx|pseries)/([^/]+)")


class PbxWebhookFastPath:
    """ASGI middleware: a PBX's event posts go straight to :class:`PbxWebhooks`.

    They are most of deskline's requests (two or more per call), and FastAPI's routing,
    dependency solving and exception middleware cost about half as much CPU as storing their
    events (docs/benchmarks.md). The answers are the same as the declared routes' (they call the
    same methods); an unexpected error still reaches the app's outer error middleware (500).
    Any other request, or another method on these paths, goes on to the app.
    """

    def __init__(self, app: ASGIApp, webhooks: PbxWebhooks) -> None:
        self.app = app
        self.webhooks = webhooks

    def __repr__(self) -> str:
        return f"PbxWebhookFastPath({self.webhooks!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            match = _WEBHOOK_PATH.fullmatch(path)
            if match is not None:
                request = Request(scope, receive)
                handle = self.webhooks.generic if match[1] == "pbx" else self.webhooks.pseries
                response = await handle(match[2], request)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
