"""``call_actions``: one row per (call, action) — done once, remembered with what the helpdesk
answered (the ticket id, the contact id).

Keys are ``call:<source>:<pbx call id>:<action>``; the same key is the job's idempotency key
and, for tickets, the ``IdempotencyKey`` variable the template sends to the helpdesk
(Zendesk's ``Idempotency-Key``), so a retried job never makes a second ticket.

Actions: ``contact`` (the call's contact: found or created, ``remote_id`` = contact id),
``ticket`` (``remote_id`` = ticket id), ``journal`` and ``journal:<extension>``,
``contact_sync`` (F8: ``state`` ``skipped`` with ``detail.reason`` when the contact cannot be
copied to the phonebook group — the admin API lists these), ``lookup``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import CallAction
from deskline.store.repositories._dialect import dialect_insert
from deskline.store.types import utcnow


class ActionState:
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


def call_key(source: str, call_id: str) -> str:
    """The call's public id (pop messages, variables): ``<source>:<pbx call id>``."""
    return f"{source}:{call_id}"


def action_key(source: str, call_id: str, action: str) -> str:
    return f"call:{source}:{call_id}:{action}"


async def get_action(
    session: AsyncSession, source: str, call_id: str, action: str
) -> CallAction | None:
    key = action_key(source, call_id, action)
    return (
        await session.execute(select(CallAction).where(CallAction.key == key))
    ).scalar_one_or_none()


async def actions_of_call(
    session: AsyncSession, source: str, call_id: str
) -> dict[str, CallAction]:
    """Every action of the call, by action name."""
    rows = await session.execute(
        select(CallAction).where(CallAction.source == source, CallAction.pbx_call_id == call_id)
    )
    return {row.action: row for row in rows.scalars()}


async def record_action(
    session: AsyncSession,
    source: str,
    call_id: str,
    action: str,
    *,
    state: str = ActionState.DONE,
    remote_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> CallAction:
    """Create or update the action's row, in one ``INSERT … ON CONFLICT (key) DO UPDATE``
    (``remote_id`` and ``detail`` are kept when not given)."""
    now = utcnow()
    values: dict[str, Any] = {
        "key": action_key(source, call_id, action),
        "source": source,
        "pbx_call_id": call_id,
        "action": action,
        "state": state,
        "remote_id": remote_id,
        "detail": {} if detail is None else detail,
        "created_at": now,
        "updated_at": now,
    }
    changed: dict[str, Any] = {"state": state, "updated_at": now}
    if remote_id is not None:
        changed["remote_id"] = remote_id
    if detail is not None:
        changed["detail"] = detail
    statement = (
        dialect_insert(session, CallAction, orm=True)
        .values(values)
        .on_conflict_do_update(index_elements=["key"], set_=changed)
        .returning(CallAction)
    )
    # the session may hold the row already (a job's preloaded actions): refresh it
    result = await session.scalars(statement, execution_options={"populate_existing": True})
    row: CallAction = result.one()
    return row
