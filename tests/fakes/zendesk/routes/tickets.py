"""Tickets (§1.6-1.7): create (201 + Location, Idempotency-Key), show, update (200 + audit,
voice comments, 5,000-comment cap), list, and the comments list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.zendesk.errors import bad_request
from tests.fakes.zendesk.idempotency import StoredAnswer, fingerprint
from tests.fakes.zendesk.pagination import paginate
from tests.fakes.zendesk.records import Comment
from tests.fakes.zendesk.routes.common import (
    base_url,
    body_object,
    emulator_of,
    int_param,
    json_response,
    principal_of,
    query_pairs,
    wrapped_object,
)

IDEMPOTENCY_KEY_MAX = 255  # a third-party guide's figure (unverified)


async def create_ticket(request: Request) -> Response:
    emulator, base = emulator_of(request), base_url(request)
    body = await body_object(request)
    key = request.headers.get("idempotency-key")
    request_fingerprint = fingerprint("POST", "/api/v2/tickets", body)
    now = emulator.clock.now()
    if key is not None:
        if not key or len(key) > IDEMPOTENCY_KEY_MAX:
            raise bad_request("IdempotentRequestError", "Idempotency-Key is empty or too long")
        stored = emulator.idempotency.lookup(key, request_fingerprint, now)
        if stored is not None:
            return json_response(
                stored.body, stored.status, stored.headers | {"x-idempotency-lookup": "hit"}
            )
    data = body.get("ticket")
    if not isinstance(data, dict):
        raise bad_request("InvalidParameter", "Parameter ticket is required and must be an object")
    ticket = emulator.tickets.create(data, principal_of(request).user)
    answer = {"ticket": ticket.to_json(base)}
    headers = {"Location": f"{base}/api/v2/tickets/{ticket.id}.json"}
    if key is not None:
        emulator.idempotency.store(
            key,
            StoredAnswer(
                request_fingerprint, 201, answer, headers, now + emulator.config.idempotency_ttl
            ),
        )
        headers["x-idempotency-lookup"] = "miss"
    return json_response(answer, 201, headers)


async def show_ticket(request: Request) -> Response:
    ticket = emulator_of(request).store.ticket(int_param(request, "ticket_id"))
    return json_response({"ticket": ticket.to_json(base_url(request))})


async def update_ticket(request: Request) -> Response:
    emulator = emulator_of(request)
    ticket = emulator.store.ticket(int_param(request, "ticket_id"))
    data = await wrapped_object(request, "ticket")
    audit = emulator.tickets.update(ticket, data, principal_of(request).user)
    return json_response({"ticket": ticket.to_json(base_url(request)), "audit": audit})


async def list_tickets(request: Request) -> Response:
    emulator, base = emulator_of(request), base_url(request)
    return json_response(
        paginate(
            list(emulator.store.tickets.values()),
            lambda t: t.to_json(base),
            key="tickets",
            base=base,
            path="/api/v2/tickets",
            query=query_pairs(request),
        )
    )


async def list_comments(request: Request) -> Response:
    emulator, base = emulator_of(request), base_url(request)
    ticket = emulator.store.ticket(int_param(request, "ticket_id"))
    comments = list(ticket.comments)
    if request.query_params.get("sort_order") == "desc":
        comments.reverse()

    def render(comment: Comment) -> dict[str, object]:
        return comment.to_json()

    return json_response(
        paginate(
            comments,
            render,
            key="comments",
            base=base,
            path=f"/api/v2/tickets/{ticket.id}/comments",
            query=query_pairs(request),
        )
    )


routes = [
    Route("/api/v2/tickets", list_tickets, methods=["GET"]),
    Route("/api/v2/tickets", create_ticket, methods=["POST"]),
    Route("/api/v2/tickets/{ticket_id}", show_ticket, methods=["GET"]),
    Route("/api/v2/tickets/{ticket_id}", update_ticket, methods=["PUT"]),
    Route("/api/v2/tickets/{ticket_id}/comments", list_comments, methods=["GET"]),
]
