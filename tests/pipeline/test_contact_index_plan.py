"""Ring-time lookups stay cheap however big the index is: SQLite answers them from the numbers'
indexes and never walks the contacts or the numbers (a join on the contacts made every lookup
read all 100,000 contacts of bench/suite.py's memory scenario)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.phones import NumberNormaliser
from deskline.pipeline.contact_index import ContactIndex
from deskline.store.db import Database
from tests.pipeline.test_contact_index import _connection, contact

NUMBER_INDEX = re.compile(
    r"SEARCH helpdesk_contact_numbers USING (COVERING )?INDEX ix_helpdesk_contact_numbers_"
    r"(e164|raw|tail) "
)


@asynccontextmanager
async def traced_selects(session: AsyncSession) -> AsyncIterator[list[str]]:
    """The index's selects the SQLite driver runs in ``session`` (parameters filled in: some
    run on the driver directly, past SQLAlchemy's events)."""
    statements: list[str] = []
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection._conn  # type: ignore[union-attr]

    def traced(sql: str) -> None:
        if "FROM helpdesk_contact" in sql:
            statements.append(sql)

    driver.set_trace_callback(traced)
    try:
        yield statements
    finally:
        driver.set_trace_callback(None)


async def test_lookups_search_the_numbers_indexes_and_scan_nothing(sqlite_db: Database) -> None:
    index = ContactIndex(NumberNormaliser("US"))
    connection = await _connection(sqlite_db)
    async with sqlite_db.transaction() as session:
        for n in range(30):
            await index.upsert(session, connection, contact(str(n), f"+1513555{7600 + n}"))
    async with sqlite_db.read() as session, traced_selects(session) as statements:
        assert (await index.find(session, connection, "+15135557611")).found  # by E.164
        assert not (await index.find(session, connection, "+15135550000")).found  # a miss
    assert statements
    by_number = by_id = 0
    async with sqlite_db.engine.connect() as conn:
        for sql in statements:
            plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()
            steps = [str(row[3]) for row in plan]
            assert not [s for s in steps if s.startswith("SCAN")], (sql, steps)
            contacts = [s for s in steps if s.startswith("SEARCH helpdesk_contacts ")]
            assert all("rowid=?" in s for s in contacts), (sql, steps)  # not: all of a connection
            by_id += len(contacts)
            by_number += sum(1 for s in steps if NUMBER_INDEX.match(s))
    assert by_number >= 3  # the hit by E.164; the miss by E.164, then by its last digits
    assert by_id >= 1
