"""Alembic, run programmatically: no ``alembic.ini``; the URL comes from the caller.

The migration scripts live in ``deskline/store/migrations``; the same chain runs on SQLite
(batch mode, so ALTERs work) and PostgreSQL. Each function runs Alembic on a connection of
the :class:`~deskline.store.db.Database`, inside one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from deskline.store.db import Database
from deskline.store.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def _run(db: Database, action: Callable[[Config], Any]) -> Any:
    async with db.write_connection() as connection:
        return await connection.run_sync(lambda sync: action(alembic_config(sync)))


async def upgrade(db: Database, revision: str = "head") -> None:
    await _run(db, lambda config: command.upgrade(config, revision))


async def downgrade(db: Database, revision: str) -> None:
    await _run(db, lambda config: command.downgrade(config, revision))


async def current_revision(db: Database) -> str | None:
    """The revision the database is at (None: never migrated)."""

    def read(config: Config) -> str | None:
        connection: Connection = config.attributes["connection"]
        return MigrationContext.configure(connection).get_current_revision()

    result: str | None = await _run(db, read)
    return result


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def schema_differences(db: Database) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty: in sync)."""

    def compare(config: Config) -> list[Any]:
        connection: Connection = config.attributes["connection"]
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, Base.metadata))

    result: list[Any] = await _run(db, compare)
    return result
