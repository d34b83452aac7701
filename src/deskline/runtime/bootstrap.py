"""First start and every start of ``deskline serve``: the schema, the first admin, the simulator.

- :func:`ensure_schema`: a database behind the migration head is upgraded on SQLite (the
  embedded default, nobody else shares it) and refused on PostgreSQL unless migrating was
  asked for (``--migrate``): a shared server is upgraded on purpose, not as a side effect.
- :func:`ensure_first_admin`: with no admin at all, create ``settings.admin_username`` with
  ``DESKLINE_ADMIN_PASSWORD`` or a generated password, returned to be shown once.
- :func:`ensure_simulator`: the built-in ``simulator`` connection with its generated token.
"""

from __future__ import annotations

import logging

from deskline.crypto import SecretBox
from deskline.errors import ConfigurationError
from deskline.runtime.accounts import Passwords, ensure_admin
from deskline.settings import Settings
from deskline.store import migrate
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import PbxConnectionRepository

log = logging.getLogger(__name__)


async def ensure_schema(db: Database, *, allow_migrate: bool = False) -> str | None:
    """Bring the schema to the head if allowed; returns what was done (None: nothing)."""
    current = await migrate.current_revision(db)
    head = migrate.head_revision()
    if current == head:
        return None
    if db.dialect != "sqlite" and not allow_migrate:
        raise ConfigurationError(
            f"the database is at revision {current or 'none (empty)'} but this deskline needs "
            f"{head}: run `deskline db upgrade` first, or start with `deskline serve --migrate`"
        )
    try:
        await migrate.upgrade(db)
    except Exception as exc:
        raise ConfigurationError(
            f"cannot upgrade the database from revision {current or 'none'} to {head}: {exc}"
        ) from exc
    return f"database upgraded from revision {current or 'none (empty)'} to {head}"


async def ensure_first_admin(db: Database, settings: Settings, passwords: Passwords) -> str | None:
    """The generated password of a newly created first admin (None: nothing was generated)."""
    given = settings.admin_password.get_secret_value() if settings.admin_password else None
    try:
        async with db.transaction() as session:
            return await ensure_admin(session, passwords, settings.admin_username, given)
    except ValueError as exc:
        raise ConfigurationError(f"DESKLINE_ADMIN_PASSWORD: {exc}") from exc


async def ensure_simulator(db: Database, box: SecretBox) -> None:
    """Create the built-in simulator connection when it is missing (logged, never fatal)."""
    try:
        from deskline.pbx.simulator.local import ensure_simulator_connection

        async with db.transaction() as session:
            await ensure_simulator_connection(PbxConnectionRepository(session, box))
    except Exception as exc:
        log.warning("the built-in simulator connection is not available: %s", exc)
