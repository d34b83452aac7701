"""Ring-time lookups stay cheap however big the index is: SQLite answers them from the numbers'
indexes and never walks the contacts or the numbers (a join on the contacts made every lookup
read all 100,000 contacts of bench/suite.py's memory scenario)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from deskline.phones import NumberNormaliser
from deskline.pipeline.contact_index import ContactIndex
from deskline.store.db import Database
from tests.pipeline.test_contact_index import _connection, contact

NUMBER_INDEX = re.compile(
    r"SEARCH helpdesk_contact_numbers USING (COVERING )?INDEX ix_helpdesk_contact_numbers_"
    r"(e164|raw|tail) "
)


@contextmanager
def captured_selects(db: Database) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if "FROM helpdesk_contact" in sql:
            statements.append((sql, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)


async def test_lookups_search_the_numbers_indexes_and_scan_nothing(sqlite_db: Database) -> None:
    index = ContactIndex(NumberNormaliser("US"))
    connection = await _connection(sqlite_db)
    async with sqlite_db.transaction() as session:
        for n in range(30):
            await index.upsert(session, connection, contact(str(n), f"+1513555{7600 + n}"))
    with captured_selects(sqlite_db) as statements:
        async with sqlite_db.read() as session:
            assert (await index.find(session, connection, "+15135557611")).found  # by E.164
            assert not (await index.find(session, connection, "+15135550000")).found  # a miss
    assert statements
    by_number = by_id = 0
    async with sqlite_db.engine.connect() as conn:
        for sql, params in statements:
            plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(params))).all()
            steps = [str(row[3]) for row in plan]
            assert not [s for s in steps if s.startswith("SCAN")], (sql, steps)
            contacts = [s for s in steps if s.startswith("SEARCH helpdesk_contacts ")]
            assert all("rowid=?" in s for s in contacts), (sql, steps)  # not: all of a connection
            by_id += len(contacts)
            by_number += sum(1 for s in steps if NUMBER_INDEX.match(s))
    assert by_number >= 3  # the hit by E.164; the miss by E.164, then by its last digits
    assert by_id >= 1
