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

from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.direct import DirectStatement, DirectStatements, bound
from deskline.store.direct_transaction import Statements
from deskline.store.models import CallAction
from deskline.store.repositories._dialect import insert_of
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


_BY_KEY = select(CallAction).where(CallAction.key == bindparam("key"))
_ACTIONS = cast(Table, CallAction.__table__)
_OF_CALL = DirectStatement(
    select(*_ACTIONS.c).where(
        _ACTIONS.c.source == bindparam("source"), _ACTIONS.c.pbx_call_id == bindparam("call_id")
    )
)
"""Built once (the call's: run on the driver, :mod:`deskline.store.direct`): every call's
jobs read them."""


async def get_action(
    session: AsyncSession, source: str, call_id: str, action: str
) -> CallAction | None:
    key = action_key(source, call_id, action)
    return (await session.execute(_BY_KEY, {"key": key})).scalar_one_or_none()


async def actions_of_call(session: Statements, source: str, call_id: str) -> dict[str, CallAction]:
    """Every action of the call, by action name: copies, not the session's objects (a job
    reads them; it records actions with :func:`record_action` and friends)."""
    rows = await _OF_CALL.execute(session, {"source": source, "call_id": call_id})
    return {row.action: CallAction(**row._asdict()) for row in rows}


_WRITTEN = (
    "key",
    "source",
    "pbx_call_id",
    "action",
    "state",
    "remote_id",
    "detail",
    "created_at",
    "updated_at",
)
"""The columns an action's upserts write (all but ``id``)."""


def _upsert(
    changes: frozenset[str], *, returning: bool = True, rows: int = 0
) -> Callable[[str], Any]:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` of ``state``, ``updated_at`` and ``changes``
    (of ``remote_id``, ``detail``), returning the row (or nothing). ``rows``: that many rows
    in one statement, their parameters suffixed ``_0``, ``_1`` … (0: one row, unsuffixed)."""

    def build(dialect: str) -> Any:
        values: Any = (
            [
                # typed: SQLAlchemy gives only the first row's parameters the column's type
                {name: bindparam(f"{name}_{row}", type_=_ACTIONS.c[name].type) for name in _WRITTEN}
                for row in range(rows)
            ]
            if rows
            else bound(*_WRITTEN)
        )
        insert = insert_of(dialect, _ACTIONS).values(values)
        kept = ("state", "updated_at", *sorted(changes))
        upsert = insert.on_conflict_do_update(
            index_elements=["key"], set_={name: insert.excluded[name] for name in kept}
        )
        return upsert.returning(*_ACTIONS.c) if returning else upsert

    return build


_UPSERTS = {
    frozenset(changes): DirectStatement(_upsert(frozenset(changes)))
    for changes in ((), ("remote_id",), ("detail",), ("remote_id", "detail"))
}
"""Built once per dialect, run on the driver (:mod:`deskline.store.direct`)."""


async def record_action(
    session: Statements,
    source: str,
    call_id: str,
    action: str,
    *,
    state: str = ActionState.DONE,
    remote_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> CallAction:
    """Create or update the action's row, in one ``INSERT … ON CONFLICT (key) DO UPDATE``
    (``remote_id`` and ``detail`` are kept when not given); returns the row as saved (a copy,
    not the session's object)."""
    now = utcnow()
    changes = frozenset(
        name for name, value in (("remote_id", remote_id), ("detail", detail)) if value is not None
    )
    saved = await _UPSERTS[changes].execute(
        session,
        {
            "key": action_key(source, call_id, action),
            "source": source,
            "pbx_call_id": call_id,
            "action": action,
            "state": state,
            "remote_id": remote_id,
            "detail": {} if detail is None else detail,
            "created_at": now,
            "updated_at": now,
        },
    )
    row = saved.first()
    assert row is not None  # an upsert always returns its row
    return CallAction(**row._asdict())


_DONE_UPSERTS = DirectStatements(
    lambda rows: _upsert(frozenset({"remote_id", "detail"}), returning=False, rows=rows),
    longest=16,
)
"""Done actions' upserts, one statement for all of them: they write no rows back."""


async def record_done_actions(
    session: Statements,
    source: str,
    call_id: str,
    actions: Mapping[str, tuple[str | None, dict[str, Any]]],
) -> None:
    """Record several actions of a call as done — ``{action: (remote_id, detail)}`` — in one
    Core statement (no rows returned: for writes that only need to be saved)."""
    if not actions:
        return
    now = utcnow()
    parameters: dict[str, Any] = {}
    for row, (action, (remote_id, detail)) in enumerate(actions.items()):
        values = {
            "key": action_key(source, call_id, action),
            "source": source,
            "pbx_call_id": call_id,
            "action": action,
            "state": ActionState.DONE,
            "remote_id": remote_id,
            "detail": detail,
            "created_at": now,
            "updated_at": now,
        }
        parameters.update((f"{name}_{row}", value) for name, value in values.items())
    await _DONE_UPSERTS(len(actions)).execute(session, parameters)
