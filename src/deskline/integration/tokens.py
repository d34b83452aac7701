"""OAuth tokens of the connection, stored encrypted in its row (the connector's TokenStore).

The connector hands every new token pair to :meth:`DatabaseTokenStore.save` *before* it uses
it, and ``save`` commits before returning: Zendesk deletes the previous pair when it issues a
new one, so a pair that was used but not stored would leave no way back.

Each store remembers the ``obtained_at`` of the tokens it last loaded or saved
(:attr:`DatabaseTokenStore.known_obtained_at`): when the row holds newer tokens (another
process refreshed them, or the admin authorized again), the provider builds a new connector.
"""

from __future__ import annotations

from deskline.connector.tokens import OAuthTokens
from deskline.crypto import SecretBox
from deskline.errors import HelpdeskAuthError
from deskline.integration.records import connection_by_id, read_secrets, write_secrets
from deskline.store.db import Database


class DatabaseTokenStore:
    """The tokens of connection ``connection_id``, encrypted with ``box``."""

    def __init__(self, db: Database, box: SecretBox, connection_id: int) -> None:
        self.db = db
        self.box = box
        self.connection_id = connection_id
        self.known_obtained_at: float | None = None

    def __repr__(self) -> str:
        return f"DatabaseTokenStore(connection_id={self.connection_id})"

    async def load(self) -> OAuthTokens | None:
        async with self.db.read() as session:
            row = await connection_by_id(session, self.connection_id)
            tokens = read_secrets(self.box, row).tokens if row is not None else None
        self.known_obtained_at = tokens.obtained_at if tokens else None
        return tokens

    async def save(self, tokens: OAuthTokens) -> None:
        """Store ``tokens`` (committed when this returns); the row must still exist."""
        async with self.db.transaction() as session:
            row = await connection_by_id(session, self.connection_id, for_update=True)
            if row is None:
                raise HelpdeskAuthError("the helpdesk was disconnected; connect it again")
            secrets = read_secrets(self.box, row)
            secrets.tokens = tokens
            write_secrets(self.box, row, secrets)
        self.known_obtained_at = tokens.obtained_at
