"""OAuth clients, authorization codes, access and refresh tokens, and API tokens.

Secrets are never part of a repr. Rotation follows Zendesk: a successful refresh deletes the
previous access AND refresh tokens (helpdesk-apis.md §1.3).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

ClientKind = Literal["public", "confidential"]
RESOURCES = (
    "tickets",
    "users",
    "auditlogs",
    "organizations",
    "hc",
    "apps",
    "triggers",
    "automations",
    "targets",
    "webhooks",
)


def parse_scopes(scope: object) -> frozenset[str] | None:
    """A space-separated scope string as a set; ``None`` for a malformed value (an array...),
    which Zendesk still accepts when issuing, but every call made with it is Forbidden."""
    if not isinstance(scope, str):
        return None
    return frozenset(scope.split())


def scopes_allow(scopes: frozenset[str] | None, method: str, resource: str | None) -> bool:
    if scopes is None:
        return False
    need = "read" if method in ("GET", "HEAD") else "write"
    return need in scopes or (resource is not None and f"{resource}:{need}" in scopes)


@dataclass
class OAuthClient:
    identifier: str
    kind: ClientKind
    redirect_urls: list[str]
    name: str = "deskline"
    secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)

    def to_json(self, *, reveal_secret: bool = False) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "name": self.name,
            "kind": self.kind,
            "redirect_urls": list(self.redirect_urls),
            # Zendesk shows the secret in full once, then only its first 9 characters.
            "secret": self.secret if reveal_secret else self.secret[:9],
        }


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scope: str
    user_id: int
    issued_at: float
    code_challenge: str | None
    code: str = field(default_factory=lambda: secrets.token_urlsafe(30), repr=False)


@dataclass
class TokenGrant:
    """What a token grants: the client, the user it acts as, and the scope."""

    client_id: str
    user_id: int
    scope: str | None
    scopes: frozenset[str] | None


@dataclass
class AccessToken:
    grant: TokenGrant
    expires_at: float | None
    refresh_token: str | None = field(default=None, repr=False)
    token: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)


@dataclass
class RefreshToken:
    grant: TokenGrant
    expires_at: float
    access_token: str = field(repr=False)
    token: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)


@dataclass
class PendingConsent:
    """An authorization request waiting for the Allow/Deny click on the consent page."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None
    id: str = field(default_factory=lambda: secrets.token_urlsafe(16))


class OAuthState:
    def __init__(self) -> None:
        self.clients: dict[str, OAuthClient] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.pending_consents: dict[str, PendingConsent] = {}
        self.api_tokens: set[str] = set()
        #: the user who "is logged in" on the consent page; ``None``: the first admin.
        self.consent_user_id: int | None = None

    def register_client(
        self,
        identifier: str,
        redirect_urls: list[str],
        kind: ClientKind = "confidential",
        secret: str | None = None,
        name: str = "deskline",
    ) -> OAuthClient:
        if identifier in self.clients:
            raise ValueError(f"an OAuth client {identifier!r} is already registered")
        client = OAuthClient(identifier, kind, list(redirect_urls), name)
        if secret is not None:
            client.secret = secret
        self.clients[identifier] = client
        return client

    def issue_tokens(
        self, grant: TokenGrant, access_ttl: int | None, refresh_ttl: int | None, now: float
    ) -> tuple[AccessToken, RefreshToken | None]:
        access = AccessToken(grant, None if access_ttl is None else now + access_ttl)
        refresh = None
        if refresh_ttl is not None:
            refresh = RefreshToken(grant, now + refresh_ttl, access.token)
            access.refresh_token = refresh.token
            self.refresh_tokens[refresh.token] = refresh
        self.access_tokens[access.token] = access
        return access, refresh

    def live_access_token(self, token: str, now: float) -> AccessToken | None:
        access = self.access_tokens.get(token)
        if access is None or (access.expires_at is not None and access.expires_at <= now):
            return None
        return access

    def rotate(self, old: RefreshToken) -> None:
        """Delete the refresh token and the access token issued with it."""
        self.refresh_tokens.pop(old.token, None)
        self.access_tokens.pop(old.access_token, None)

    def revoke(self, *, token: str | None = None, client_id: str | None = None) -> int:
        """Revoke one token (access or refresh: its pair goes too), a client's, or all."""
        doomed_access = {
            t
            for t, a in self.access_tokens.items()
            if (token is None or t == token or a.refresh_token == token)
            and (client_id is None or a.grant.client_id == client_id)
        }
        doomed_refresh = {
            t
            for t, r in self.refresh_tokens.items()
            if (token is None or t == token or r.access_token == token)
            and (client_id is None or r.grant.client_id == client_id)
        }
        for t in doomed_access:
            del self.access_tokens[t]
        for t in doomed_refresh:
            del self.refresh_tokens[t]
        return len(doomed_access) + len(doomed_refresh)

    def add_api_token(self, token: str | None = None) -> str:
        value = token or secrets.token_urlsafe(30)
        self.api_tokens.add(value)
        return value
