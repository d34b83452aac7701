"""Table change counters and the read cache built on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from deskline.store.changes import MISSING, ReadCache, TableChanges, written_table
from deskline.store.db import Database
from deskline.store.models import SettingValue


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("SELECT * FROM jobs", None),
        ("BEGIN IMMEDIATE", None),
        ('INSERT INTO "calls" (id) VALUES (1)', "calls"),
        ("INSERT OR REPLACE INTO calls VALUES (1)", "calls"),
        ("  UPDATE jobs SET state='x'", "jobs"),
        ("DELETE FROM helpdesk_contacts WHERE id = 1", "helpdesk_contacts"),
        ("ALTER TABLE calls ADD COLUMN x", "*"),
        ("WITH x AS (SELECT 1) DELETE FROM calls", "*"),
    ],
)
def test_written_table(statement: str, table: str | None) -> None:
    assert written_table(statement) == table


def test_a_cached_value_is_stale_after_a_change_of_its_tables_or_its_time() -> None:
    now = [0.0]
    changes = TableChanges()
    cache: ReadCache[str, int] = ReadCache(changes, {"a"}, ttl_seconds=1.0, clock=lambda: now[0])
    cache.put("k", 1, cache.stamp())
    assert cache.get("k") == 1
    changes.bump(["b"])
    assert cache.get("k") == 1  # another table
    changes.bump(["a"])
    assert cache.get("k") is MISSING
    cache.put("k", 2, cache.stamp())
    now[0] = 1.5
    assert cache.get("k") is MISSING  # older than its time to live
    stamp = cache.stamp()
    changes.bump(["*"])
    cache.put("k", 3, stamp)  # changed while it was read: not kept
    assert cache.get("k") is MISSING


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", read_cache_seconds=60)
    await database.upgrade()
    yield database  # type: ignore[misc]
    await database.dispose()


async def _reads(db: Database, cache: ReadCache[str, str | None], counter: list[int]) -> str | None:
    async def read() -> str | None:
        counter[0] += 1
        row = await session.get(SettingValue, "greeting")
        return None if row is None else str(row.value)

    async with db.read() as session:
        return await cache.read_through(session, "greeting", read)


async def test_a_committed_write_of_this_process_is_seen_at_once(db: Database) -> None:
    cache: ReadCache[str, str | None] = db.read_cache({"settings_kv"})
    reads = [0]
    assert await _reads(db, cache, reads) is None
    assert await _reads(db, cache, reads) is None
    assert reads == [1]  # the second came from the cache
    async with db.transaction() as session:
        session.add(SettingValue(key="greeting", value="hello"))
    assert await _reads(db, cache, reads) == "hello"
    assert reads == [2]


async def test_a_rolled_back_write_also_invalidates(db: Database) -> None:
    cache: ReadCache[str, str | None] = db.read_cache({"settings_kv"})
    reads = [0]
    await _reads(db, cache, reads)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO settings_kv (key, value, updated_at) "
                    "VALUES ('x', '1', '2026-01-01')"
                )
            )
            raise RuntimeError("rolled back")
    await _reads(db, cache, reads)
    assert reads == [2]


async def test_a_session_reads_its_own_uncommitted_writes_and_nobody_caches_them(
    db: Database,
) -> None:
    cache: ReadCache[str, str | None] = db.read_cache({"settings_kv"})
    reads = [0]
    await _reads(db, cache, reads)
    async with db.transaction() as session:
        session.add(SettingValue(key="greeting", value="inside"))
        await session.flush()

        async def read() -> str | None:
            reads[0] += 1
            value = (
                await session.execute(
                    select(SettingValue.value).where(SettingValue.key == "greeting")
                )
            ).scalar_one_or_none()
            return None if value is None else str(value)

        assert await cache.read_through(session, "greeting", read) == "inside"
        assert cache.get("greeting") is None  # what others see: the committed value
    assert await _reads(db, cache, reads) == "inside"
    assert reads == [3]
