"""A small REST helpdesk for the connector's contract tests (ASGI; uvicorn on 127.0.0.1).

It speaks the two dialects of the example templates in docs/examples/:

* ``/api/v1`` (Acme Desk): contact search by phone, a contact's phones, create contact, users
  with page / offset / next-link paging, tickets with notes, call logs, a session login;
* ``/api/v2`` (Listdesk): list all customers, agents as a top-level array paged by page
  number, create ticket;
* ``/api/v3`` (the bundled generic-rest template, ``X-API-Key`` header): contacts by phone or
  query, tickets, call logs.

Auth: Basic (``user:password`` or ``api_key:X`` strings), static bearer tokens, and OAuth2
(``/oauth/authorize`` → code, ``/oauth/token`` in JSON or form: authorization_code with PKCE,
refresh_token with rotation — the old pair dies — and client_credentials), tokens expiring on a
manual clock. A rejected token gets ``401 {"error":"invalid_token"}``. Faults (e.g. a 429 with
Retry-After) are injected per path. Every request is recorded; the highest number of API
requests in flight at once is kept.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

Handler = Callable[[Request, Any], Awaitable[Response]]


@dataclass
class Recorded:
    method: str
    host: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any  # parsed JSON, form dict, or None
    status: int | None = None


@dataclass
class Fault:
    method: str
    path: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class OAuthCode:
    client_id: str
    redirect_uri: str
    challenge: str | None


@dataclass
class GenericHelpdesk:
    """The helpdesk's data, accounts and switches; ``app`` serves it."""

    now: float = 1_700_000_000.0
    access_ttl: float = 3600.0
    link_page_size: int = 2
    delay: float = 0.0  # seconds each API request takes (to overlap concurrent requests)
    invalid_token_status: int = 401
    basic_credentials: set[str] = field(default_factory=lambda: {"agent:s3cret", "key-123:X"})
    static_tokens: set[str] = field(default_factory=lambda: {"static-token-1"})
    api_keys: set[str] = field(default_factory=lambda: {"hdr-key-7"})  # X-API-Key header
    oauth_clients: dict[str, str] = field(default_factory=lambda: {"deskline": "client-secret-9"})
    contacts: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    codes: dict[str, OAuthCode] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh -> its access token
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(1001)
        self.app = Starlette(routes=_routes(self))

    # --- test helpers ------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to a fresh helpdesk (the server keeps serving this object)."""
        fresh = GenericHelpdesk()
        for item in fields(self):
            setattr(self, item.name, getattr(fresh, item.name))
        self._ids = fresh._ids

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def add_contact(self, first: str, last: str, phone: str, **extra: Any) -> dict[str, Any]:
        contact = {"id": next(self._ids), "first_name": first, "last_name": last, "phone": phone}
        contact.update(extra)
        contact.setdefault("phones", [])
        contact["profile_url"] = f"https://desk.example/people/{contact['id']}"
        self.contacts.append(contact)
        return contact

    def add_users(self, count: int) -> list[dict[str, Any]]:
        added = []
        for n in range(count):
            user_id = next(self._ids)
            added.append(
                {
                    "id": user_id,
                    "first_name": f"Agent{n}",
                    "last_name": f"L{n}",
                    "email": f"agent{n}@desk.example",
                }
            )
        self.users += added
        return added

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.faults.append(
            Fault(method, path, status, body or {"error": "fault"}, headers or {}, times)
        )

    def issue_tokens(self, *, refresh: bool = True) -> dict[str, Any]:
        access = "at-" + secrets.token_hex(8)
        self.access_tokens[access] = self.now + self.access_ttl
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.access_ttl),
        }
        if refresh:
            refresh_token = "rt-" + secrets.token_hex(8)
            self.refresh_tokens[refresh_token] = access
            answer["refresh_token"] = refresh_token
        return answer

    def api_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/api/")]

    # --- request handling --------------------------------------------------------------------

    def authorized(self, request: Request) -> Response | None:
        if "x-api-key" in request.headers:
            if request.headers["x-api-key"] in self.api_keys:
                return None
            return JSONResponse({"error": "invalid_api_key"}, 401)
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except ValueError:
                decoded = ""
            if decoded in self.basic_credentials:
                return None
            return JSONResponse({"error": "invalid_credentials"}, 401)
        if scheme.lower() == "bearer" and credentials:
            if credentials in self.static_tokens:
                return None
            expires = self.access_tokens.get(credentials)
            if expires is not None and expires > self.now:
                return None
            return JSONResponse(
                {"error": "invalid_token", "error_description": "expired, revoked or invalid"},
                self.invalid_token_status,
            )
        return JSONResponse({"error": "unauthorized"}, 401)

    def fault_for(self, method: str, path: str) -> Response | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and path.startswith(fault.path):
                fault.times -= 1
                return JSONResponse(fault.body, fault.status, headers=fault.headers)
        return None


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    kind = request.headers.get("content-type", "")
    if "json" in kind:
        return json.loads(raw)
    if "x-www-form-urlencoded" in kind:
        return dict(parse_qsl(raw.decode()))
    return raw.decode()


def _endpoint(
    desk: GenericHelpdesk, handler: Handler, *, api: bool
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        body = await _body(request)
        record = Recorded(
            request.method,
            request.headers.get("host", ""),
            request.url.path,
            list(parse_qsl(request.url.query, keep_blank_values=True)),
            {k.lower(): v for k, v in request.headers.items()},
            body,
        )
        desk.requests.append(record)
        desk.in_flight += 1
        desk.max_in_flight = max(desk.max_in_flight, desk.in_flight)
        try:
            if desk.delay and api:
                await asyncio.sleep(desk.delay)
            response = desk.fault_for(request.method, request.url.path)
            if response is None and api:
                response = desk.authorized(request)
            if response is None:
                response = await handler(request, body)
        finally:
            desk.in_flight -= 1
        record.status = response.status_code
        return response

    return endpoint


def _digits(value: object) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def _routes(desk: GenericHelpdesk) -> list[Route]:
    def route(path: str, handler: Handler, method: str, api: bool = True) -> Route:
        return Route(path, _endpoint(desk, handler, api=api), methods=[method])

    def public(contact: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in contact.items() if k != "phones"}

    def contact_by_id(request: Request) -> dict[str, Any] | None:
        wanted = request.path_params["contact_id"]
        return next((c for c in desk.contacts if str(c["id"]) == wanted), None)

    async def search_contacts(request: Request, body: Any) -> Response:
        phone = _digits(request.query_params.get("phone"))
        query = (request.query_params.get("query") or "").lower()
        found = [
            c
            for c in desk.contacts
            if (phone and phone in (_digits(c.get("phone")), _digits(c.get("mobile"))))
            or (query and any(query in str(v).lower() for v in public(c).values()))
        ]
        return JSONResponse({"contacts": [public(c) for c in found], "count": len(found)})

    async def contact_phones(request: Request, body: Any) -> Response:
        contact = contact_by_id(request)
        if contact is None:
            return JSONResponse({"error": "not_found"}, 404)
        return JSONResponse({"phones": contact["phones"]})

    async def create_contact(request: Request, body: Any) -> Response:
        data = (body or {}).get("contact") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("phone"):
            return JSONResponse({"error": "invalid", "details": "contact.phone is required"}, 422)
        contact = desk.add_contact(
            data.get("first_name", ""), data.get("last_name", ""), data["phone"]
        )
        return JSONResponse({"contact": public(contact)}, 201)

    async def list_users(request: Request, body: Any) -> Response:
        params = request.query_params
        if "page" in params:
            size = int(params.get("per_page", "100"))
            start = (int(params["page"]) - 1) * size
            return JSONResponse({"users": desk.users[start : start + size]})
        if "offset" in params:
            start, size = int(params["offset"]), int(params.get("limit", "100"))
            return JSONResponse({"users": desk.users[start : start + size]})
        start = int(params.get("after", "0"))
        size = desk.link_page_size
        page = desk.users[start : start + size]
        following = start + size
        next_link = None
        if following < len(desk.users):
            query = [(k, v) for k, v in params.multi_items() if k != "after"]
            next_link = f"https://{request.headers['host']}/api/v1/users?" + urlencode(
                [*query, ("after", str(following))]
            )
        return JSONResponse({"users": page, "links": {"next": next_link}})

    async def create_ticket(request: Request, body: Any) -> Response:
        data = body.get("ticket") if isinstance(body, dict) and "ticket" in body else body
        if not isinstance(data, dict):
            return JSONResponse({"error": "invalid"}, 422)
        ticket_id = next(desk._ids)
        desk.tickets[ticket_id] = {"id": ticket_id, **data, "comments": []}
        if not request.url.path.startswith("/api/v1/"):
            return JSONResponse({"id": ticket_id, **data}, 201)
        return JSONResponse({"ticket": {"id": ticket_id, **data}}, 201)

    async def update_ticket(request: Request, body: Any) -> Response:
        ticket = desk.tickets.get(int(request.path_params["ticket_id"]))
        if ticket is None:
            return JSONResponse({"error": "not_found"}, 404)
        comment = ((body or {}).get("ticket") or {}).get("comment")
        if comment:
            ticket["comments"].append(comment)
        return JSONResponse({"ticket": ticket})

    async def log_call(request: Request, body: Any) -> Response:
        data = body.get("call", body) if isinstance(body, dict) else {}
        call = {"id": next(desk._ids), **(data if isinstance(data, dict) else {})}
        desk.calls.append(call)
        if not request.url.path.startswith("/api/v1/"):
            return JSONResponse(call, 201)
        return JSONResponse({"call": call}, 201)

    async def generic_contacts(request: Request, body: Any) -> Response:
        found = json.loads((await search_contacts(request, body)).body)["contacts"]
        for contact in found:
            contact["url"] = contact.pop("profile_url")
        return JSONResponse({"contacts": found})

    async def customers(request: Request, body: Any) -> Response:
        rows = [{k: v for k, v in public(c).items() if k != "email"} for c in desk.contacts]
        return JSONResponse({"customers": rows})

    async def agents(request: Request, body: Any) -> Response:
        size = int(request.query_params.get("per_page", "30"))
        start = (int(request.query_params.get("page", "1")) - 1) * size
        page = desk.users[start : start + size]
        return JSONResponse(
            [
                {"id": u["id"], "contact": {"name": u["first_name"], "email": u["email"]}}
                for u in page
            ]
        )

    async def session_login(request: Request, body: Any) -> Response:
        if (
            not isinstance(body, dict)
            or f"{body.get('username')}:{body.get('password')}" not in desk.basic_credentials
        ):
            return JSONResponse({"error": "invalid_credentials"}, 401)
        token = "session-" + secrets.token_hex(6)
        desk.static_tokens.add(token)
        return JSONResponse({"data": {"session_token": token, "user": body.get("username")}})

    async def authorize(request: Request, body: Any) -> Response:
        params = request.query_params
        if (
            params.get("client_id") not in desk.oauth_clients
            or params.get("response_type") != "code"
        ):
            return JSONResponse({"error": "invalid_request"}, 400)
        code = "code-" + secrets.token_hex(6)
        desk.codes[code] = OAuthCode(
            params["client_id"], params.get("redirect_uri", ""), params.get("code_challenge")
        )
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{params.get('redirect_uri')}?{query}", 302)

    async def token(request: Request, body: Any) -> Response:
        data: dict[str, Any] = body if isinstance(body, dict) else {}
        grant = data.get("grant_type")
        if desk.oauth_clients.get(str(data.get("client_id"))) != data.get("client_secret"):
            return JSONResponse({"error": "invalid_client"}, 401)
        if grant == "authorization_code":
            code = desk.codes.pop(str(data.get("code")), None)
            if code is None or code.redirect_uri != data.get("redirect_uri"):
                return JSONResponse({"error": "invalid_grant"}, 400)
            if code.challenge is not None:
                digest = hashlib.sha256(str(data.get("code_verifier", "")).encode()).digest()
                if base64.urlsafe_b64encode(digest).decode().rstrip("=") != code.challenge:
                    return JSONResponse(
                        {"error": "invalid_grant", "error_description": "PKCE"}, 400
                    )
            return JSONResponse(desk.issue_tokens(), 201)
        if grant == "refresh_token":
            old_access = desk.refresh_tokens.pop(str(data.get("refresh_token")), None)
            if old_access is None:
                return JSONResponse({"error": "invalid_grant"}, 400)
            desk.access_tokens.pop(old_access, None)  # rotation: the old pair is gone
            return JSONResponse(desk.issue_tokens(), 201)
        if grant == "client_credentials":
            return JSONResponse(desk.issue_tokens(refresh=False), 200)
        return JSONResponse({"error": "unsupported_grant_type"}, 400)

    return [
        route("/oauth/authorize", authorize, "GET", api=False),
        route("/oauth/token", token, "POST", api=False),
        route("/api/v1/session", session_login, "POST", api=False),
        route("/api/v1/contacts/search", search_contacts, "GET"),
        route("/api/v1/contacts/{contact_id}/phones", contact_phones, "GET"),
        route("/api/v1/contacts", create_contact, "POST"),
        route("/api/v1/users", list_users, "GET"),
        route("/api/v1/tickets", create_ticket, "POST"),
        route("/api/v1/tickets/{ticket_id:int}", update_ticket, "PUT"),
        route("/api/v1/calls", log_call, "POST"),
        route("/api/v2/customers", customers, "GET"),
        route("/api/v2/agents", agents, "GET"),
        route("/api/v2/tickets", create_ticket, "POST"),
        route("/api/v3/contacts", generic_contacts, "GET"),
        route("/api/v3/tickets", create_ticket, "POST"),
        route("/api/v3/calls", log_call, "POST"),
    ]


@dataclass(frozen=True)
class RunningHelpdesk:
    base_url: str
    port: int
    desk: GenericHelpdesk


@contextmanager
def running_helpdesk(desk: GenericHelpdesk | None = None) -> Iterator[RunningHelpdesk]:
    """Serve ``desk`` with uvicorn on 127.0.0.1 (a free port) until the block ends."""
    desk = desk or GenericHelpdesk()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        desk.app, log_level="critical", http="h11", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the generic helpdesk failed to start")
        threading.Event().wait(0.01)
    try:
        yield RunningHelpdesk(f"http://127.0.0.1:{port}", port, desk)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
