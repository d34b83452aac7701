"""What an agent's browser may ask over the screen-pop WebSocket (docs/screen-pop.md).

- ``{"type": "open", "call_id": "<source>:<id>"}`` → the pop of that call (manual pop, F7);
- ``{"type": "create_contact", "call_id": …}`` → a ``helpdesk.create_contact`` job (F10
  manual); the pop with the new contact follows when it is created;
- ``{"type": "ping"}`` → ``{"type": "pong"}``.

An agent may only ask about calls its own extension takes part in. Anything else gets
``{"type": "error", "message": …}``; the connection stays open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskline.calls.model import Call
from deskline.pipeline.bindings import involved_extensions
from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.jobs.common import Kinds, enqueue_call_job
from deskline.pipeline.screen_pop import PopTrigger, pop_message

if TYPE_CHECKING:
    from deskline.pipeline.service import Pipeline

MAX_CALL_KEY = 400


def error(message: str) -> dict[str, object]:
    return {"type": "error", "message": message}


async def answer(pipeline: Pipeline, extension: str, message: object) -> dict[str, object] | None:
    if not isinstance(message, dict):
        return error("send a JSON object with a type")
    kind = message.get("type")
    if kind == "ping":
        return {"type": "pong"}
    if kind not in ("open", "create_contact"):
        return error(f"unknown message type {str(kind)[:40]!r}: use open, create_contact or ping")
    key = message.get("call_id")
    if not isinstance(key, str) or ":" not in key or len(key) > MAX_CALL_KEY:
        return error("call_id must be the call's id from a pop, like 'pbx:1700000000.12'")
    source, call_id = key.split(":", 1)
    call = await pipeline.load_call(source, call_id)
    if call is None or extension not in involved_extensions(call):
        return error(f"no call {key} for extension {extension}")
    if kind == "open":
        contact = await _contact(pipeline, call)
        return pop_message(key, PopTrigger.MANUAL, extension, contact)
    async with pipeline.db.transaction() as session:
        await enqueue_call_job(
            session, Kinds.CREATE_CONTACT, source, call_id, "create_contact", extension=extension
        )
    return {"type": "accepted", "call_id": key, "action": "create_contact"}


async def _contact(pipeline: Pipeline, call: Call) -> IndexedContact | None:
    async with pipeline.db.read() as session:
        helpdesk = await pipeline.provider.active(session)
        if helpdesk is None:
            return None
        match = await pipeline.local_match(session, helpdesk, call)
    return match.contact
