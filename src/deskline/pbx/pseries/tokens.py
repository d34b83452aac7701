"""The one access token deskline holds per P-Series PBX.

The PBX lets an app hold at most 8 valid access tokens (30 min each; the refresh token lasts
24 h), so every request and the WebSocket share one token. It is refreshed with the refresh
token a margin before it expires, falls back to a fresh login when the refresh is refused, and
only one renewal runs at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from deskline.crypto import mask
from deskline.errors import PbxAuthenticationError, PbxProtocolError
from deskline.pbx.pseries.http import call_openapi, describe, errcode_of

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: SecretStr
    access_expires_at: float
    refresh_token: SecretStr
    refresh_expires_at: float

    def __repr__(self) -> str:
        return f"TokenPair(access={mask(self.access_token.get_secret_value())})"


class TokenManager:
    """Hands out the shared access token, renewing it before it expires."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        client_id: str,
        client_secret: SecretStr,
        *,
        refresh_margin: float = 300.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = http
        self._client_id = client_id
        self._client_secret = client_secret
        self._margin = refresh_margin
        self._clock = clock
        self._pair: TokenPair | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"TokenManager(client_id={self._client_id!r}, token={self._pair!r})"

    async def get(self) -> str:
        """A valid access token, renewed first if it is within the margin of expiring."""
        async with self._lock:
            pair = self._pair
            if pair is None or self._clock() >= pair.access_expires_at - self._margin:
                pair = await self._renew(pair)
            return pair.access_token.get_secret_value()

    async def renew(self, rejected: str) -> str:
        """The PBX rejected ``rejected``: log in again (unless someone already did)."""
        async with self._lock:
            pair = self._pair
            if pair is None or pair.access_token.get_secret_value() == rejected:
                pair = await self._login()
            return pair.access_token.get_secret_value()

    async def revoke(self) -> None:
        """Give the token back (``del_token``) so it no longer counts against the cap of 8."""
        async with self._lock:
            pair, self._pair = self._pair, None
            if pair is None or self._clock() >= pair.access_expires_at:
                return
            token = pair.access_token.get_secret_value()
            try:
                await call_openapi(self._http, "GET", "del_token", params={"access_token": token})
            except Exception as exc:  # best effort on shutdown
                log.warning("P-Series del_token failed: %s", exc)

    async def _renew(self, pair: TokenPair | None) -> TokenPair:
        if pair is not None and self._clock() < pair.refresh_expires_at - self._margin:
            refreshed = await self._refresh(pair)
            if refreshed is not None:
                return refreshed
        return await self._login()

    async def _refresh(self, pair: TokenPair) -> TokenPair | None:
        body = await call_openapi(
            self._http,
            "POST",
            "refresh_token",
            json={"refresh_token": pair.refresh_token.get_secret_value()},
        )
        if errcode_of(body) != 0:
            log.info("P-Series token refresh refused (%s); logging in again", describe(body))
            return None
        return self._store(body)

    async def _login(self) -> TokenPair:
        body = await call_openapi(
            self._http,
            "POST",
            "get_token",
            json={
                "username": self._client_id,
                "password": self._client_secret.get_secret_value(),
            },
        )
        if errcode_of(body) != 0:
            self._pair = None
            raise PbxAuthenticationError(
                f"the P-Series PBX refused client id {self._client_id!r}: {describe(body)}"
            )
        return self._store(body)

    def _store(self, body: dict[str, object]) -> TokenPair:
        access, refresh = body.get("access_token"), body.get("refresh_token")
        access_ttl = body.get("access_token_expire_time", 1800)
        refresh_ttl = body.get("refresh_token_expire_time", 86400)
        if not isinstance(access, str) or not access:
            raise PbxProtocolError("P-Series token answer has no access_token")
        if not isinstance(access_ttl, int | float) or not isinstance(refresh_ttl, int | float):
            raise PbxProtocolError("P-Series token answer has non-numeric expire times")
        now = self._clock()
        self._pair = TokenPair(
            access_token=SecretStr(access),
            access_expires_at=now + float(access_ttl),
            refresh_token=SecretStr(refresh if isinstance(refresh, str) else ""),
            refresh_expires_at=now + float(refresh_ttl) if isinstance(refresh, str) else now,
        )
        return self._pair
