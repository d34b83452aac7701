"""PBX connections: secrets encrypted at rest, never shown in reprs."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from deskline.crypto import SecretBox
from deskline.errors import ConfigurationError
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import PbxConnectionRepository

BOX = SecretBox(b"test-master-key-0123456789")


async def test_secrets_are_encrypted_at_rest_and_masked(db: Database) -> None:
    async with db.transaction() as session:
        repo = PbxConnectionRepository(session, BOX)
        created = await repo.create(
            name="office",
            kind="asterisk",
            config={"host": "10.0.0.5", "port": 5038, "username": "deskline"},
            secrets={"password": "ami-S3cret!"},
        )

    async with db.read() as session:
        raw = (await session.execute(text("SELECT secrets FROM pbx_connections"))).scalar_one()
        view = await PbxConnectionRepository(session, BOX).by_name("office")
    assert "ami-S3cret!" not in raw
    assert view is not None
    assert view.secrets["password"].get_secret_value() == "ami-S3cret!"
    assert view.full_config() == {
        "host": "10.0.0.5",
        "port": 5038,
        "username": "deskline",
        "password": "ami-S3cret!",
    }
    assert "ami-S3cret!" not in repr(view)
    assert "ami-S3cret!" not in repr(created)
    assert view.status == "new"


async def test_update_merges_secrets_and_records_status(db: Database) -> None:
    async with db.transaction() as session:
        repo = PbxConnectionRepository(session, BOX)
        created = await repo.create(
            name="p", kind="pseries", config={}, secrets={"client_id": "id", "client_secret": "a"}
        )
        await repo.update(created.id, secrets={"client_secret": SecretStr("b")}, enabled=False)
        await repo.set_status(created.id, "needs_reauth", "401 from get_token")

    async with db.read() as session:
        view = await PbxConnectionRepository(session, BOX).get(created.id)
    assert view is not None
    assert {k: v.get_secret_value() for k, v in view.secrets.items()} == {
        "client_id": "id",
        "client_secret": "b",
    }
    assert view.enabled is False
    assert (view.status, view.status_detail) == ("needs_reauth", "401 from get_token")


async def test_names_are_unique_and_listing_filters(db: Database) -> None:
    async with db.transaction() as session:
        repo = PbxConnectionRepository(session, BOX)
        await repo.create(name="b", kind="webhook", config={})
        await repo.create(name="a", kind="webhook", config={}, enabled=False)
        with pytest.raises(ValueError, match="exists already"):
            await repo.create(name="a", kind="asterisk", config={})
        assert [c.name for c in await repo.list()] == ["a", "b"]
        assert [c.name for c in await repo.list(enabled_only=True)] == ["b"]
        deleted = await repo.by_name("a")
        assert deleted is not None and await repo.delete(deleted.id) is True
        assert await repo.delete(deleted.id) is False


async def test_a_changed_secret_key_is_a_clear_error(db: Database) -> None:
    async with db.transaction() as session:
        await PbxConnectionRepository(session, BOX).create(
            name="x", kind="asterisk", config={}, secrets={"password": "p"}
        )
    other = SecretBox(b"another-key")
    async with db.read() as session:
        with pytest.raises(ConfigurationError, match="DESKLINE_SECRET_KEY"):
            await PbxConnectionRepository(session, other).by_name("x")
