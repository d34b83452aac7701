"""The migration chain builds exactly the schema of the models, and unwinds, on both dialects."""

from __future__ import annotations

from sqlalchemy import inspect

from deskline.store import migrate
from deskline.store.db import Database
from deskline.store.models import Base


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


async def test_models_and_migrations_agree(db: Database) -> None:
    assert await migrate.current_revision(db) == migrate.head_revision()
    assert await migrate.schema_differences(db) == []


async def test_downgrade_to_base_and_upgrade_again(db: Database) -> None:
    assert await _tables(db) == set(Base.metadata.tables)

    await migrate.downgrade(db, "base")
    assert await _tables(db) == set()
    assert await migrate.current_revision(db) is None

    await migrate.upgrade(db)
    assert await _tables(db) == set(Base.metadata.tables)
    assert await migrate.schema_differences(db) == []
