"""The ASGI layer every Zendesk request passes through, in this order:

1. the ``.json`` suffix is removed (``/api/v2/users/1.json`` = ``/api/v2/users/1``);
2. the request is recorded (secrets masked);
3. injected faults: delay, then a 5xx answer or a dropped connection (``drop``: before the
   request is carried out; ``lost_answer``: after, so the client cannot tell it was);
4. ``/api/v2`` only: the rate limit (429 + ``Retry-After``), then authentication and scopes
   (401 / 403); the rate-limit headers go on every ``/api/v2`` answer;
5. OpenAPI request validation (recorded; answered 400 when ``reject_invalid_requests``);
6. the route; its answer's status is recorded and the body validated against the subset.

``/_emulator`` control requests skip all of it.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.fakes.zendesk import auth
from tests.fakes.zendesk.errors import ZendeskError
from tests.fakes.zendesk.form_body import parse_form

if TYPE_CHECKING:
    from tests.fakes.zendesk.emulator import ZendeskEmulator
    from tests.fakes.zendesk.recorder import RecordedRequest

_DROP_PROMISED_LENGTH = b"1024"


def _decode_body(content_type: str, body: bytes) -> tuple[Any, bytes | None]:
    """(the body for the record, the body as JSON bytes for validation)."""
    if not body:
        return None, None
    if "application/x-www-form-urlencoded" in content_type:
        form = parse_form(body)
        return form, json.dumps(form).encode()
    try:
        return json.loads(body), body
    except ValueError:
        return body.decode("utf-8", "replace"), body


async def _send_json(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    payload = b"" if body is None else json.dumps(body).encode()
    raw_headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    """Promise a body, send part of it, and return: the server closes the connection, and
    the client sees a protocol error (httpx: ``RemoteProtocolError``)."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", _DROP_PROMISED_LENGTH),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b'{"trunc', "more_body": True})


class FrontDoor:
    def __init__(self, app: ASGIApp, emulator: ZendeskEmulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.endswith(".json"):
            path = path[: -len(".json")]
            scope = dict(scope, path=path, raw_path=path.encode())
        body = await _read_body(receive)
        await self._handle(scope, path, body, send)

    async def _handle(self, scope: Scope, path: str, body: bytes, send: Send) -> None:
        emulator = self.emulator
        method: str = scope["method"]
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        recorded_body, json_body = _decode_body(headers.get("content-type", ""), body)
        with emulator.lock:
            record = emulator.recorder.record(
                emulator.clock.now(), method, path, query, headers, recorded_body
            )
            plan = emulator.faults.plan(method, path, emulator.clock.now())
        if plan.delay:
            await asyncio.sleep(plan.delay)
        if plan.terminal is not None and plan.terminal.kind == "lost_answer":
            # carried out as usual, but the answer never reaches the client
            record.fault = plan.terminal.kind
            await self._answer(scope, method, path, query, headers, body, json_body, record, _lost)
            await _drop(send)
            return
        if plan.terminal is not None:
            record.fault = plan.terminal.kind
            if plan.terminal.kind == "drop":
                await _drop(send)
                return
            record.status = plan.terminal.status
            await _send_json(
                send,
                plan.terminal.status,
                {
                    "error": "InternalServerError",
                    "description": "Injected fault (emulator)",
                },
                {},
            )
            return
        await self._answer(scope, method, path, query, headers, body, json_body, record, send)

    async def _answer(
        self,
        scope: Scope,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
        json_body: bytes | None,
        record: RecordedRequest,
        send: Send,
    ) -> None:
        """Rate limit, authentication, validation, then the route."""
        emulator = self.emulator
        extra_headers: dict[str, str] = {}
        with emulator.lock:
            try:
                if path.startswith("/api/"):
                    decision = emulator.rate_limiter.hit(path)
                    extra_headers = decision.headers
                    if not decision.allowed:
                        raise ZendeskError(
                            429,
                            {
                                "error": "TooManyRequests",
                                "description": "You have exceeded the rate limit. Retry later.",
                            },
                        )
                    scope.setdefault("state", {})["principal"] = auth.check(
                        headers.get("authorization"),
                        method,
                        path,
                        emulator.store,
                        emulator.oauth,
                        emulator.clock.now(),
                    )
                issues = emulator.validator.request_issues(method, path, query, headers, json_body)
                emulator.note_issues(issues, record)
                if issues and emulator.config.reject_invalid_requests:
                    raise ZendeskError(
                        400,
                        {
                            "error": "InvalidRequest",
                            "description": "The request does not match the Zendesk OpenAPI subset",
                            "details": [i.to_json() for i in issues],
                        },
                    )
            except ZendeskError as error:
                record.status = error.status
                await _send_json(send, error.status, error.body, error.headers | extra_headers)
                return
            await self._run_route(scope, method, path, body, send, extra_headers, record)

    async def _run_route(
        self,
        scope: Scope,
        method: str,
        path: str,
        body: bytes,
        send: Send,
        extra_headers: dict[str, str],
        record: RecordedRequest,
    ) -> None:
        emulator = self.emulator
        sent = False
        status = 0
        content_type = ""
        chunks: list[bytes] = []

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                content_type = next(
                    (v.decode() for k, v in headers if k.lower() == b"content-type"), ""
                )
                headers += [(k.lower().encode(), v.encode()) for k, v in extra_headers.items()]
                message = dict(message, headers=headers)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, capture)
        record.status = status
        if emulator.config.validate_responses and "json" in content_type:
            issues = emulator.validator.response_issues(
                method, path, status, content_type, b"".join(chunks)
            )
            emulator.note_issues(issues, record)


async def _lost(message: Message) -> None:
    """Where an answer goes that the client never gets."""


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
