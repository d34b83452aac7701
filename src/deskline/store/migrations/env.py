"""Alembic environment: runs on the connection handed over by ``deskline.store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from deskline.store.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError(
        "run deskline's migrations through `deskline db upgrade` (deskline.store.migrate)"
    )
run_migrations(_connection)
