"""Stored PBX events: insert deduplicated by ``(source, key)``, read back per call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.calls.events import CallEvent, parse_event
from deskline.store.models import PbxEvent
from deskline.store.repositories._dialect import insert_ignoring_conflicts
from deskline.store.types import utcnow


async def insert_new_events(
    session: AsyncSession, source: str, events: Sequence[CallEvent]
) -> list[CallEvent]:
    """Store the events not seen before; return those (in their original order).

    An event whose ``(source, key)`` is already stored — a redelivery — is skipped by the
    database (``ON CONFLICT DO NOTHING``), so concurrent deliveries cannot store it twice.
    """
    unique: dict[str, CallEvent] = {}
    for event in events:
        unique.setdefault(event.key, event)
    if not unique:
        return []
    received = utcnow()
    rows = [
        {
            "source": source,
            "key": event.key,
            "call_id": event.call_id,
            "kind": event.kind,
            "payload": event.model_dump(mode="json"),
            "occurred_at": event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC),
            "received_at": received,
        }
        for event in unique.values()
    ]
    statement = insert_ignoring_conflicts(session, PbxEvent, ("source", "key"))
    returning = statement.returning(PbxEvent.__table__.c.key)
    inserted = set((await session.execute(returning, rows)).scalars())
    return [event for key, event in unique.items() if key in inserted]


async def keys_by_call(
    session: AsyncSession, source: str, call_ids: Iterable[str]
) -> dict[str, list[str]]:
    """The stored event keys of each call (to restore a tracker's duplicate detection)."""
    ids = list(call_ids)
    result: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return result
    statement = (
        select(PbxEvent.call_id, PbxEvent.key)
        .where(PbxEvent.source == source, PbxEvent.call_id.in_(ids))
        .order_by(PbxEvent.id)
    )
    for call_id, key in await session.execute(statement):
        result[call_id].append(key)
    return result


async def events_of_call(session: AsyncSession, source: str, call_id: str) -> list[CallEvent]:
    """A call's stored events in the order they arrived."""
    statement = (
        select(PbxEvent.payload)
        .where(PbxEvent.source == source, PbxEvent.call_id == call_id)
        .order_by(PbxEvent.id)
    )
    return [parse_event(payload) for payload in (await session.execute(statement)).scalars()]
