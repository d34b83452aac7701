"""The template variables of a call (docs/templates.md, "CreateNewTicket" and "CallJournal").

``Call_From`` / ``Call_To`` read like the seed's screenshot: ``Name<number>`` when a name is
known, ``<number>`` otherwise — ``Inbound No Answer - from <5503309> to Kristin Hale<2005>``.
The agent side is named after the agent's helpdesk user (or the extension's name); the
customer side after the name the PBX sent, else the matched contact (never an automatically
created placeholder name).

``Call_Status`` is ``Answered``, ``No Answer``, ``Busy``, ``Failed`` or ``Voicemail`` once the
call has ended, and ``Ringing`` for a ticket created before the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from deskline.calls.model import Call, CallStatus, Direction, Party
from deskline.pipeline.contact_index import IndexedContact

RINGING_STATUS = "Ringing"
AUTOMATIC_CONTACT_PREFIX = "Automatic New Contact"

_CALL_STATUS = {
    CallStatus.ANSWERED: "Answered",
    CallStatus.NO_ANSWER: "No Answer",
    CallStatus.ABANDONED: "No Answer",
    CallStatus.BUSY: "Busy",
    CallStatus.FAILED: "Failed",
    CallStatus.VOICEMAIL: "Voicemail",
}


@dataclass(frozen=True)
class Agent:
    """A bound extension and its helpdesk user."""

    extension: str
    user_id: str | None = None  # the helpdesk's id of the user
    name: str | None = None
    email: str | None = None


def call_status(call: Call) -> str:
    if call.status is None:
        return RINGING_STATUS
    return _CALL_STATUS.get(call.status, "Failed")


def call_log_status(call: Call) -> str:
    """Like Call_Status, but an unanswered inbound call is ``Missed``."""
    status = call_status(call)
    if status == "No Answer" and call.direction is Direction.INBOUND:
        return "Missed"
    return status


def communication_type(call: Call) -> str:
    return "Outbound" if call.direction is Direction.OUTBOUND else "Inbound"


def customer_party(call: Call) -> Party:
    """The external party: the caller of an inbound call, the callee of an outbound one."""
    return call.callee if call.direction is Direction.OUTBOUND else call.caller


def customer_number(call: Call) -> str | None:
    party = customer_party(call)
    return party.number or party.raw


def labelled(name: str | None, number: str | None) -> str:
    """``Name<number>`` or ``<number>``."""
    return f"{name or ''}<{number or ''}>"


def hms(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02}:{minutes:02}:{secs:02}"


def _customer_name(call: Call, contact: IndexedContact | None) -> str | None:
    party = customer_party(call)
    if party.name:
        return party.name
    if contact is None or contact.origin == "created":
        return None
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    if not name or name.startswith(AUTOMATIC_CONTACT_PREFIX):
        return None
    return name


def _shown_number(party: Party) -> str:
    return party.raw or party.number or ""


def call_variables(
    call: Call,
    *,
    tz: tzinfo,
    agent: Agent | None,
    contact: IndexedContact | None,
    idempotency_key: str,
    record_path: str | None = None,
    ticket_id: str | None = None,
    status_override: str | None = None,
) -> dict[str, object]:
    """Every built-in call variable of one call, for one agent (``None``: nobody bound)."""
    customer = customer_party(call)
    customer_label = labelled(_customer_name(call, contact), _shown_number(customer))
    agent_label = (
        labelled(agent.name, agent.extension)
        if agent is not None
        else labelled(
            None,
            _shown_number(call.caller if call.direction is Direction.OUTBOUND else call.callee),
        )
    )
    outbound = call.direction is Direction.OUTBOUND
    started = call.started_at
    talk = call.talk_seconds
    status = status_override or call_status(call)
    log_status = call_log_status(call) if status_override is None else status_override
    if status_override == "No Answer" and not outbound:
        log_status = "Missed"
    return {
        "CallId": f"{call.source}:{call.call_id}",
        "IdempotencyKey": idempotency_key,
        "Communication_Type": communication_type(call),
        "Call_Status": status,
        "Call_Log_Status": log_status,
        "Call_From": agent_label if outbound else customer_label,
        "Call_To": customer_label if outbound else agent_label,
        "CallerNumber": _shown_number(call.caller),
        "CalleeNumber": _shown_number(call.callee),
        "CallerDisplayName": call.caller.name or "",
        "Time": started.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if started else "",
        "StartTimeUnix": int(started.timestamp()) if started else 0,
        "Talk_Duration": hms(talk),
        "Talk_Duration_Sec": talk,
        "ContactId": contact.remote_id if contact else "",
        "ContactNumber": customer.number or customer.raw or "",
        "AgentUserId": (agent.user_id or "") if agent else "",
        "AgentEmail": (agent.email or "") if agent else "",
        "Owner": (agent.user_id or "") if agent else "",
        "RecordPath": record_path or "",
        "TicketId": ticket_id or "",
    }
