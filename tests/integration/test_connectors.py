"""ConnectorProvider and DatabaseTokenStore on a real database: encryption at rest, caching,
connectors rebuilt when another process stored newer tokens, needs_reauth marking."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from deskline.budget import BudgetRegistry
from deskline.connector import OAuthTokens
from deskline.crypto import SecretBox
from deskline.integration.connectors import ConnectorProvider
from deskline.integration.records import ConnectionSecrets, ConnectionStatus, write_secrets
from deskline.integration.tokens import DatabaseTokenStore
from deskline.store.db import Database
from deskline.store.models import HelpdeskConnection

BOX = SecretBox(b"a-test-secret-key-for-the-integration")
FIELDS = {"client_id": "deskline", "subdomain": "acme", "base_url": "http://127.0.0.1:9"}


async def add_connection(db: Database, status: str = ConnectionStatus.CONNECTED) -> int:
    async with db.transaction() as session:
        row = HelpdeskConnection(
            template_key="zendesk", name="Zendesk", status=status, fields=FIELDS, settings={}
        )
        write_secrets(BOX, row, ConnectionSecrets(fields={"client_secret": "s3cret-value"}))
        session.add(row)
        await session.flush()
        return row.id


def tokens(access: str, at: float) -> OAuthTokens:
    return OAuthTokens(access_token=access, refresh_token=f"r-{access}", obtained_at=at)


@pytest.fixture
async def provider(sqlite_db: Database) -> AsyncIterator[ConnectorProvider]:
    provider = ConnectorProvider(sqlite_db, BOX)
    yield provider
    await provider.aclose()


async def test_tokens_are_stored_encrypted(sqlite_db: Database) -> None:
    connection_id = await add_connection(sqlite_db)
    store = DatabaseTokenStore(sqlite_db, BOX, connection_id)
    assert await store.load() is None

    await store.save(tokens("access-token-value-1", 100.0))

    async with sqlite_db.read() as session:
        row = (await session.execute(select(HelpdeskConnection))).scalar_one()
    assert row.secrets and "access-token-value-1" not in row.secrets
    assert "s3cret-value" not in row.secrets
    loaded = await DatabaseTokenStore(sqlite_db, BOX, connection_id).load()
    assert loaded is not None and loaded.access_token == "access-token-value-1"
    assert "access-token-value-1" not in repr(loaded)


async def test_active_is_none_until_connected_and_while_disabled(
    sqlite_db: Database, provider: ConnectorProvider
) -> None:
    async with sqlite_db.read() as session:
        assert await provider.active(session) is None
    connection_id = await add_connection(sqlite_db, ConnectionStatus.AUTHORIZING)
    async with sqlite_db.read() as session:
        assert await provider.active(session) is None
    async with sqlite_db.transaction() as session:
        row = await session.get(HelpdeskConnection, connection_id)
        assert row is not None
        row.status, row.enabled = ConnectionStatus.CONNECTED, False
    async with sqlite_db.read() as session:
        assert await provider.active(session) is None
        current = await provider.current(session)
    assert current is not None and not current.enabled and not current.ready
    assert current.field_values["client_secret"] == "s3cret-value"
    assert "s3cret-value" not in repr(current)


async def test_connector_is_cached_and_rebuilt_when_another_process_stores_tokens(
    sqlite_db: Database, provider: ConnectorProvider
) -> None:
    connection_id = await add_connection(sqlite_db)
    await DatabaseTokenStore(sqlite_db, BOX, connection_id).save(tokens("first", 100.0))
    async with sqlite_db.read() as session:
        helpdesk = await provider.active(session)
    assert helpdesk is not None and helpdesk.ready and helpdesk.template.key == "zendesk"
    first = await helpdesk.connector()
    assert await helpdesk.connector() is first
    loaded = await first.token_store.load()  # what the connector does on its first request
    assert loaded is not None and loaded.access_token == "first"

    # another deskline process refreshed the tokens
    await DatabaseTokenStore(sqlite_db, BOX, connection_id).save(tokens("second", 200.0))
    async with sqlite_db.read() as session:
        fresh = await provider.active(session)
    assert fresh is not None
    second = await fresh.connector()
    assert second is not first
    reloaded = await second.token_store.load()
    assert reloaded is not None and reloaded.access_token == "second"


async def test_needs_reauth_is_not_marked_when_tokens_changed_meanwhile(
    sqlite_db: Database, provider: ConnectorProvider
) -> None:
    connection_id = await add_connection(sqlite_db)
    await DatabaseTokenStore(sqlite_db, BOX, connection_id).save(tokens("first", 100.0))
    async with sqlite_db.read() as session:
        helpdesk = await provider.active(session)
    assert helpdesk is not None
    connector = await helpdesk.connector()
    await connector.token_store.load()
    await DatabaseTokenStore(sqlite_db, BOX, connection_id).save(tokens("second", 200.0))

    assert not await helpdesk.mark_needs_reauth("refreshing failed: invalid_grant")

    async with sqlite_db.read() as session:
        again = await provider.active(session)
    assert again is not None and again.status == ConnectionStatus.CONNECTED
    await (await again.connector()).token_store.load()
    assert await again.mark_needs_reauth("refreshing failed: invalid_grant")
    async with sqlite_db.read() as session:
        marked = await provider.active(session)
    assert marked is not None and marked.needs_reauth and not marked.ready


async def test_connectors_wait_for_the_connections_budget_at_its_configured_rate(
    sqlite_db: Database,
) -> None:
    """The plan's requests per minute (settings.api_budget_rpm) reaches the connector's budget;
    a changed setting gives a connector on the new budget."""
    provider = ConnectorProvider(sqlite_db, BOX, budgets=BudgetRegistry())
    try:
        connection_id = await add_connection(sqlite_db)
        async with sqlite_db.transaction() as session:
            row = await session.get(HelpdeskConnection, connection_id)
            assert row is not None
            row.settings = {"api_budget_rpm": 400}
        async with sqlite_db.read() as session:
            helpdesk = await provider.active(session)
        assert helpdesk is not None
        first = await helpdesk.connector()
        budget = first.client.budget
        assert budget is not None and budget.config.requests_per_minute == 400
        assert provider.budgets is not None
        assert provider.budgets.get(f"helpdesk:{connection_id}") is budget

        async with sqlite_db.transaction() as session:
            row = await session.get(HelpdeskConnection, connection_id)
            assert row is not None
            row.settings = {"api_budget_rpm": 200}
        async with sqlite_db.read() as session:
            helpdesk = await provider.active(session)
        assert helpdesk is not None
        second = await helpdesk.connector()
        assert second is not first
        assert second.client.budget is not None
        assert second.client.budget.config.requests_per_minute == 200
    finally:
        await provider.aclose()
