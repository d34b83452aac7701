"""Statements whose SQL differs by dialect: ``INSERT … ON CONFLICT``.

They are Core statements on the model's table, executed with a list of parameter rows, so
SQLAlchemy compiles each once (statement cache) and sends the rows in one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import Base


def dialect_insert(session: AsyncSession, model: type[Base], *, orm: bool = False) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing/do_update`` for the session's dialect; on the
    model's table (Core), or with ``orm`` on the model itself (``RETURNING`` rows as objects)."""
    target: Any = model if orm else cast(Table, model.__table__)
    return insert_of(session.get_bind().dialect.name, target)


def insert_of(dialect: str, target: Any) -> Any:
    """``INSERT`` into ``target`` (a table or a model) with the ``on_conflict_…`` methods of
    ``dialect`` (its name)."""
    if dialect == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


def insert_ignoring_conflicts(
    session: AsyncSession, model: type[Base], conflict: Sequence[str]
) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING``."""
    return dialect_insert(session, model).on_conflict_do_nothing(index_elements=list(conflict))
