"""First start: the schema (SQLite upgraded by itself, PostgreSQL only when asked), the first
admin with a generated or configured password, the built-in simulator connection."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from deskline.crypto import SecretBox
from deskline.errors import ConfigurationError
from deskline.runtime.accounts import Passwords
from deskline.runtime.bootstrap import ensure_first_admin, ensure_schema, ensure_simulator
from deskline.settings import load_settings
from deskline.store import migrate
from deskline.store.db import Database
from deskline.store.repositories import users
from deskline.store.repositories.pbx_connections import PbxConnectionRepository

PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


async def test_an_outdated_schema_is_upgraded_on_sqlite_and_refused_on_postgresql(
    db: Database,
) -> None:
    await migrate.downgrade(db, "0001")
    if db.dialect == "sqlite":
        done = await ensure_schema(db)
        assert done is not None and "upgraded from revision 0001" in done
    else:
        with pytest.raises(ConfigurationError, match="deskline db upgrade"):
            await ensure_schema(db)
        assert await migrate.current_revision(db) == "0001"
        await ensure_schema(db, allow_migrate=True)
    assert await migrate.current_revision(db) == migrate.head_revision()
    assert await ensure_schema(db) is None  # at the head: nothing to do


async def test_the_first_admin_is_created_once(sqlite_db: Database, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    password = await ensure_first_admin(sqlite_db, settings, PASSWORDS)
    assert password is not None and len(password) >= 20
    assert await ensure_first_admin(sqlite_db, settings, PASSWORDS) is None
    async with sqlite_db.read() as session:
        admin = await users.user_by_username(session, "admin")
    assert admin is not None and password not in admin.password_hash
    assert PASSWORDS.verify(admin.password_hash, password)


async def test_a_configured_admin_password_must_be_strong(
    sqlite_db: Database, tmp_path: Path
) -> None:
    weak = load_settings(data_dir=tmp_path, admin_password="short")
    with pytest.raises(ConfigurationError, match="at least 10 characters"):
        await ensure_first_admin(sqlite_db, weak, PASSWORDS)
    chosen = load_settings(
        data_dir=tmp_path, admin_username="boss", admin_password="long enough pw"
    )
    assert await ensure_first_admin(sqlite_db, chosen, PASSWORDS) is None
    async with sqlite_db.read() as session:
        boss = await users.user_by_username(session, "boss")
    assert boss is not None and PASSWORDS.verify(boss.password_hash, "long enough pw")


async def test_the_simulator_connection_is_created_with_a_token(sqlite_db: Database) -> None:
    box = SecretBox(b"bootstrap-test")
    await ensure_simulator(sqlite_db, box)
    await ensure_simulator(sqlite_db, box)
    async with sqlite_db.read() as session:
        [view] = await PbxConnectionRepository(session, box).list()
    assert (view.name, view.kind) == ("simulator", "simulator")
    assert len(view.secrets["token"].get_secret_value()) >= 32
