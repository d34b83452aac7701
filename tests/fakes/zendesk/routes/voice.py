"""Talk Partner Edition (§1.9): voice tickets and server-side screen pops.

With TPE switched off every TPE endpoint answers 403 with Zendesk's generic Forbidden body.
Zendesk does not document that answer: it is a plausible choice (unverified), and deskline
must treat any 4xx here as "TPE not available".
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.zendesk.errors import ZendeskError, forbidden, record_invalid
from tests.fakes.zendesk.records import VIA_IDS, DisplayCall
from tests.fakes.zendesk.routes.common import (
    base_url,
    body_object,
    emulator_of,
    int_param,
    json_response,
    principal_of,
)


def _require_tpe(request: Request) -> None:
    if not emulator_of(request).config.tpe_enabled:
        raise forbidden()


async def create_voice_ticket(request: Request) -> Response:
    _require_tpe(request)
    emulator = emulator_of(request)
    body = await body_object(request)  # JSON or form-urlencoded
    data = body.get("ticket")
    if not isinstance(data, dict):
        raise record_invalid("ticket", "Ticket: is required")
    display_to = body.get("display_to_agent")
    agent = None
    if display_to is not None:
        # validated before the ticket is created: 422 with an empty body (documented)
        agent = emulator.store.users.get(display_to) if isinstance(display_to, int) else None
        if agent is None or not agent.is_agent:
            raise ZendeskError(422, None)
    via_id = data.get("via_id")
    if via_id not in VIA_IDS:
        raise record_invalid("via_id", "Via: must be 44 (voicemail), 45 (inbound) or 46 (outbound)")
    if via_id == 44 and data.get("voice_comment") is None:
        raise record_invalid("voice_comment", "Voice comment: is required for a voicemail")
    assert isinstance(via_id, int)
    ticket = emulator.tickets.create(data, principal_of(request).user, VIA_IDS[via_id])
    if agent is not None:
        emulator.store.record_display(
            DisplayCall("ticket", agent.id, ticket.id, 200, emulator.clock.now())
        )
    return json_response({"ticket": ticket.to_json(base_url(request))}, 201)


async def display_user(request: Request) -> Response:
    return _display(request, "user", "user_id")


async def display_ticket(request: Request) -> Response:
    return _display(request, "ticket", "ticket_id")


def _display(request: Request, kind: str, target_param: str) -> Response:
    _require_tpe(request)
    emulator = emulator_of(request)
    agent_id, target_id = int_param(request, "agent_id"), int_param(request, target_param)
    agent = emulator.store.users.get(agent_id)
    exists = (
        target_id in emulator.store.users if kind == "user" else target_id in emulator.store.tickets
    )
    status = 200 if agent is not None and agent.is_agent and exists else 404
    emulator.store.record_display(
        DisplayCall(
            "user" if kind == "user" else "ticket",
            agent_id,
            target_id,
            status,
            emulator.clock.now(),
        )
    )
    return Response(b"", status, media_type="application/json")


routes = [
    Route("/api/v2/channels/voice/tickets", create_voice_ticket, methods=["POST"]),
    Route(
        "/api/v2/channels/voice/agents/{agent_id}/users/{user_id}/display",
        display_user,
        methods=["POST"],
    ),
    Route(
        "/api/v2/channels/voice/agents/{agent_id}/tickets/{ticket_id}/display",
        display_ticket,
        methods=["POST"],
    ),
]
