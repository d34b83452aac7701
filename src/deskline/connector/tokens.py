"""OAuth2 tokens and where a connection keeps them.

A :class:`TokenStore` is handed every new token pair *before* deskline uses it: a helpdesk that
rotates refresh tokens (Zendesk deletes the old pair on refresh) leaves no way back if the new
pair were lost. The web layer stores tokens encrypted in the database; the CLI uses
:class:`JsonFileTokenStore` (a 0600 file) or :class:`MemoryTokenStore`.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from deskline.crypto import mask
from deskline.errors import ConfigurationError


@dataclass(frozen=True)
class OAuthTokens:
    """An access token, its refresh token and their timing (Unix seconds)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_type: str | None = None
    obtained_at: float = 0.0
    expires_at: float | None = None
    scope: str | None = None

    def __repr__(self) -> str:
        return (
            f"OAuthTokens(access_token={mask(self.access_token)!r}, "
            f"refresh_token={mask(self.refresh_token)!r}, obtained_at={self.obtained_at}, "
            f"expires_at={self.expires_at})"
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OAuthTokens:
        if not isinstance(data.get("access_token"), str) or not data["access_token"]:
            raise ConfigurationError("the stored token has no access_token")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def with_refresh_token_kept(self, previous: OAuthTokens | None) -> OAuthTokens:
        """A refresh answer without a refresh_token keeps the old one (no rotation)."""
        if self.refresh_token or previous is None:
            return self
        return replace(self, refresh_token=previous.refresh_token)


class TokenStore(Protocol):
    """Where one connection's tokens live."""

    async def load(self) -> OAuthTokens | None: ...

    async def save(self, tokens: OAuthTokens) -> None: ...


class MemoryTokenStore:
    """Tokens kept in memory (tests, one-off CLI runs); ``saved`` lists every save in order."""

    def __init__(self, tokens: OAuthTokens | None = None) -> None:
        self._tokens = tokens
        self.saved: list[OAuthTokens] = []

    def __repr__(self) -> str:
        return f"MemoryTokenStore({self._tokens!r})"

    async def load(self) -> OAuthTokens | None:
        return self._tokens

    async def save(self, tokens: OAuthTokens) -> None:
        self._tokens = tokens
        self.saved.append(tokens)


class JsonFileTokenStore:
    """Tokens in a JSON file readable by its owner only (mode 0600), replaced atomically."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"JsonFileTokenStore({str(self.path)!r})"

    async def load(self) -> OAuthTokens | None:
        return await asyncio.to_thread(self._load)

    async def save(self, tokens: OAuthTokens) -> None:
        await asyncio.to_thread(self._save, tokens)

    def _load(self) -> OAuthTokens | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"{self.path}: not a token file ({exc})") from None
        if not isinstance(data, dict):
            raise ConfigurationError(f"{self.path}: not a token file")
        return OAuthTokens.from_json(data)

    def _save(self, tokens: OAuthTokens) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(tokens.to_json(), handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
