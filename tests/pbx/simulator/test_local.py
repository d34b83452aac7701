"""The simulator's token read from the local database, as `deskline simulate` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskline.crypto import SecretBox
from deskline.errors import ConfigurationError
from deskline.pbx.simulator.local import ensure_simulator_connection, local_simulator_target
from deskline.settings import Settings
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import PbxConnectionRepository
from tests.db_fixtures import sqlite_db, sqlite_template  # noqa: F401 - fixtures


def settings_for(db: Database, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db.url, data_dir=tmp_path, secret_key="k" * 40, host="0.0.0.0", port=8123
    )


async def test_token_created_once_and_read_back(sqlite_db: Database, tmp_path: Path) -> None:  # noqa: F811
    settings = settings_for(sqlite_db, tmp_path)
    with pytest.raises(ConfigurationError, match="no simulator connection"):
        await local_simulator_target(settings)
    box = SecretBox(settings.effective_secret_key)
    async with sqlite_db.transaction() as session:
        token = await ensure_simulator_connection(PbxConnectionRepository(session, box))
    async with sqlite_db.transaction() as session:
        again = await ensure_simulator_connection(PbxConnectionRepository(session, box))
    assert again.get_secret_value() == token.get_secret_value()
    url, secret = await local_simulator_target(settings)
    assert (url, secret) == ("http://127.0.0.1:8123", token.get_secret_value())
