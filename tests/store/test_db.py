"""The Database object: SQLite set up for concurrency, transactions that commit or roll back."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from deskline.errors import ConfigurationError
from deskline.store.db import Database
from deskline.store.repositories.settings import get_setting, put_setting


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    assert sqlite_db.dialect == "sqlite"
    async with sqlite_db.read() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() > 0


async def test_transaction_commits_and_rolls_back(db: Database) -> None:
    async with db.transaction() as session:
        await put_setting(session, "kept", {"a": 1})

    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await put_setting(session, "dropped", 1)
            raise RuntimeError("boom")

    async with db.read() as session:
        assert await get_setting(session, "kept") == {"a": 1}
        assert await get_setting(session, "dropped", "absent") == "absent"


async def test_sqlite_write_transactions_take_turns(sqlite_db: Database) -> None:
    """SQLite has one writer: concurrent read-modify-write transactions are serialised, so
    none fails with "database is locked" and no increment is lost."""
    async with sqlite_db.transaction() as session:
        await put_setting(session, "counter", 0)

    async def increment() -> None:
        async with sqlite_db.transaction() as session:
            value = await get_setting(session, "counter")
            await asyncio.sleep(0)  # let the other tasks try to interleave
            await put_setting(session, "counter", value + 1)

    await asyncio.gather(*(increment() for _ in range(20)))

    async with sqlite_db.read() as session:
        assert await get_setting(session, "counter") == 20


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unsupported database"):
        Database("mysql+aiomysql://user@localhost/db")


def test_repr_hides_the_password() -> None:
    db = Database("postgresql+asyncpg://deskline:s3cret-pw@127.0.0.1/deskline")
    assert "s3cret-pw" not in repr(db)
