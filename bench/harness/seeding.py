"""Returning callers made known before the load: helpdesk users in the emulator (over its
control API) and the same contacts in deskline's local index (written to its database
directly, as a finished index refresh would leave them)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import httpx
from bench.harness.calls import caller_name
from sqlalchemy import insert, select

from deskline.phones import NumberNormaliser, last_digits
from deskline.pipeline.contact_index import TAIL_DIGITS
from deskline.store.db import Database
from deskline.store.models import HelpdeskConnection, HelpdeskContact, HelpdeskContactNumber
from deskline.store.types import utcnow


@dataclass(frozen=True)
class SeededContact:
    remote_id: str
    number: str


async def seed_emulator_users(
    emulator_url: str, numbers: Sequence[str], *, concurrency: int = 16
) -> list[SeededContact]:
    """One end-user per number in the emulator; their ids, in the numbers' order."""
    limit = asyncio.Semaphore(concurrency)

    async def one(client: httpx.AsyncClient, number: str) -> SeededContact:
        first, last = caller_name(number)
        async with limit:
            answer = await client.post(
                "/_emulator/users",
                json={"name": f"{first} {last}", "role": "end-user", "phone": number},
            )
        if answer.status_code != 201:
            raise RuntimeError(f"seeding {number}: {answer.status_code} {answer.text[:200]}")
        return SeededContact(str(answer.json()["user"]["id"]), number)

    async with httpx.AsyncClient(base_url=emulator_url, timeout=30) as client:
        return list(await asyncio.gather(*(one(client, n) for n in numbers)))


async def seed_local_index(
    database_url: str,
    contacts: Iterable[SeededContact],
    *,
    popup_base: str,
    chunk: int = 5_000,
) -> int:
    """Write the contacts into deskline's index of its (only) helpdesk connection."""
    normaliser = NumberNormaliser("US")
    db = Database(database_url)
    written = 0
    try:
        async with db.transaction() as session:
            connection_id = (await session.execute(select(HelpdeskConnection.id))).scalar_one()
        batch: list[SeededContact] = []

        async def flush() -> None:
            nonlocal written
            now = utcnow()
            contact_rows = []
            for contact in batch:
                first, last = caller_name(contact.number)
                contact_rows.append(
                    {
                        "connection_id": connection_id,
                        "remote_id": contact.remote_id,
                        "first_name": first,
                        "last_name": last,
                        "email": None,
                        "popup_url": f"{popup_base}/agent/users/{contact.remote_id}",
                        "fields": {},
                        "origin": "refresh",
                        "fetched_at": now,
                    }
                )
            async with db.transaction() as session:
                ids = (
                    await session.execute(
                        insert(HelpdeskContact).returning(
                            HelpdeskContact.id, sort_by_parameter_order=True
                        ),
                        contact_rows,
                    )
                ).scalars()
                number_rows = [
                    {
                        "contact_id": contact_id,
                        "kind": "business",
                        "raw": contact.number,
                        "e164": normaliser.normalise(contact.number).e164,
                        "tail": last_digits(contact.number, TAIL_DIGITS),
                    }
                    for contact_id, contact in zip(ids, batch, strict=True)
                ]
                await session.execute(insert(HelpdeskContactNumber), number_rows)
            written += len(batch)
            batch.clear()

        for contact in contacts:
            batch.append(contact)
            if len(batch) >= chunk:
                await flush()
        if batch:
            await flush()
    finally:
        await db.dispose()
    return written
