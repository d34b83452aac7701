"""Admin users, API tokens and the settings store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskline.store.db import Database
from deskline.store.repositories import settings as settings_repo
from deskline.store.repositories import users


async def test_users_and_tokens(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        admin = await users.create_user(session, "admin", "$argon2id$v=19$...")
        with pytest.raises(ValueError, match="exists already"):
            await users.create_user(session, "admin", "other")
        await users.create_token(
            session, admin.id, "ci", "hash-live", expires_at=now + timedelta(days=1)
        )
        await users.create_token(
            session, admin.id, "old", "hash-old", expires_at=now - timedelta(seconds=1)
        )
        await users.record_login(session, admin.id, now)

    async with db.transaction() as session:
        live = await users.token_by_hash(session, "hash-live")
        assert live is not None and live.name == "ci"
        assert await users.token_by_hash(session, "hash-old") is None  # expired
        assert await users.token_by_hash(session, "unknown") is None
        await users.touch_token(session, live.id, now)
        assert await users.count_users(session) == 1

    async with db.read() as session:
        stored = await users.user_by_username(session, "admin")
        assert stored is not None and stored.last_login_at == now
        tokens = await users.tokens_of(session, stored.id)
    assert [(t.name, t.last_used_at) for t in tokens] == [("ci", now), ("old", None)]
    assert "argon2" not in repr(stored)


async def test_settings_are_json_values_by_key(db: Database) -> None:
    async with db.transaction() as session:
        await settings_repo.put_setting(session, "integration.zendesk.fields", {"brand": 7})
        await settings_repo.put_setting(session, "integration.zendesk.enabled", True)
        await settings_repo.put_setting(session, "integration_other", [1, 2])
        await settings_repo.put_setting(session, "integration.zendesk.enabled", False)

    async with db.transaction() as session:
        assert await settings_repo.get_setting(session, "integration.zendesk.enabled") is False
        assert await settings_repo.settings_with_prefix(session, "integration.zendesk.") == {
            "integration.zendesk.fields": {"brand": 7},
            "integration.zendesk.enabled": False,
        }
        assert await settings_repo.delete_setting(session, "integration_other") is True
        assert await settings_repo.delete_setting(session, "integration_other") is False
        assert await settings_repo.get_setting(session, "integration_other", "gone") == "gone"
