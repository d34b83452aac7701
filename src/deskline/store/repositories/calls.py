"""Stored calls: the latest state of every call, upserted as the tracker changes it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.calls.model import Call
from deskline.store.direct import DirectStatement
from deskline.store.direct_transaction import Statements, orm_session
from deskline.store.models import CallRecord
from deskline.store.repositories._dialect import dialect_insert
from deskline.store.types import utcnow


def _row(source: str, call: Call, now: datetime) -> dict[str, Any]:
    return {
        "source": source,
        "pbx_call_id": call.call_id,
        "direction": call.direction.value if call.direction else None,
        "phase": call.phase.value,
        "status": call.status.value if call.status else None,
        "caller_number": call.caller.number,
        "callee_number": call.callee.number,
        "answered_by": call.answered_by,
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "data": call.model_dump(mode="json"),
        "created_at": now,
        "updated_at": now,
    }


_UPDATED_ON_CONFLICT = (
    "direction",
    "phase",
    "status",
    "caller_number",
    "callee_number",
    "answered_by",
    "started_at",
    "ended_at",
    "data",
    "updated_at",
)
_upserts: dict[str, Any] = {}


def _upsert_statement(session: AsyncSession) -> Any:
    """``INSERT … ON CONFLICT (source, pbx_call_id) DO UPDATE``, built once per dialect."""
    dialect = session.get_bind().dialect.name
    if dialect not in _upserts:
        statement = dialect_insert(session, CallRecord)
        updated = {column: statement.excluded[column] for column in _UPDATED_ON_CONFLICT}
        _upserts[dialect] = statement.on_conflict_do_update(
            index_elements=["source", "pbx_call_id"], set_=updated
        )
    return _upserts[dialect]


async def upsert_calls(session: AsyncSession, source: str, calls: Sequence[Call]) -> None:
    """Insert new calls and overwrite stored ones with their latest state (one statement)."""
    latest = {call.call_id: call for call in calls}  # a call changed twice: keep the last state
    if not latest:
        return
    now = utcnow()
    rows = [_row(source, call, now) for call in latest.values()]
    await session.execute(_upsert_statement(session), rows)


def call_of(record: CallRecord) -> Call:
    return Call.model_validate(record.data)


async def get_call(session: AsyncSession, source: str, call_id: str) -> CallRecord | None:
    statement = select(CallRecord).where(
        CallRecord.source == source, CallRecord.pbx_call_id == call_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def get_call_by_id(session: AsyncSession, record_id: int) -> CallRecord | None:
    return await session.get(CallRecord, record_id)


_CALLS_BY_ID = select(CallRecord.data).where(
    CallRecord.source == bindparam("source"),
    CallRecord.pbx_call_id.in_(bindparam("ids", expanding=True)),
)
_CALLS = cast(Table, CallRecord.__table__)
_CALL_BY_ID = DirectStatement(
    select(_CALLS.c.data).where(
        _CALLS.c.source == bindparam("source"), _CALLS.c.pbx_call_id == bindparam("call_id")
    )
)
"""Built once (one call's: run on the driver, :mod:`deskline.store.direct`): every batch of
events and every job reads calls."""


async def load_calls(session: Statements, source: str, call_ids: Iterable[str]) -> list[Call]:
    """The stored calls among ``call_ids`` (unknown ids are simply absent)."""
    ids = list(call_ids)
    if not ids:
        return []
    if len(ids) == 1:  # a job's call, most events' batch
        found = await _CALL_BY_ID.execute(session, {"source": source, "call_id": ids[0]})
        return [Call.model_validate(data) for data in found.scalars()]
    orm = await orm_session(session)
    rows = await orm.execute(_CALLS_BY_ID, {"source": source, "ids": ids})
    return [Call.model_validate(data) for data in rows.scalars()]


async def lock_undecided_many(
    session: AsyncSession, source: str, call_ids: Iterable[str]
) -> dict[str, Call]:
    """The stored calls among ``call_ids`` whose status is already decided (by another
    process), by call id. The rows stay locked until the transaction ends (PostgreSQL; taken
    in the order of their ids, so two processes cannot deadlock), so of several processes
    deciding the same call only the first one's decision is saved."""
    ids = sorted(set(call_ids))
    if not ids:
        return {}
    statement = (
        select(CallRecord.pbx_call_id, CallRecord.status, CallRecord.data)
        .where(CallRecord.source == source, CallRecord.pbx_call_id.in_(ids))
        .order_by(CallRecord.pbx_call_id)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return {
        row.pbx_call_id: Call.model_validate(row.data)
        for row in await session.execute(statement)
        if row.status is not None
    }


async def in_flight_calls(session: AsyncSession, source: str) -> list[Call]:
    """Calls whose status is not decided yet (ringing, talking, or ended and settling)."""
    statement = (
        select(CallRecord.data)
        .where(CallRecord.source == source, CallRecord.status.is_(None))
        .order_by(CallRecord.id)
    )
    return [Call.model_validate(data) for data in (await session.execute(statement)).scalars()]


async def recent_calls(
    session: AsyncSession,
    *,
    limit: int = 50,
    before_id: int | None = None,
    source: str | None = None,
    number: str | None = None,
) -> list[CallRecord]:
    """The newest calls first (keyset pagination by ``before_id``), optionally filtered."""
    statement = select(CallRecord).order_by(CallRecord.id.desc()).limit(limit)
    if before_id is not None:
        statement = statement.where(CallRecord.id < before_id)
    if source is not None:
        statement = statement.where(CallRecord.source == source)
    if number is not None:
        statement = statement.where(
            (CallRecord.caller_number == number) | (CallRecord.callee_number == number)
        )
    return list((await session.execute(statement)).scalars())
