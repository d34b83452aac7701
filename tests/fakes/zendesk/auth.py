"""Who is calling ``/api/v2``: Bearer access tokens or Basic ``{email}/token:{api_token}``,
then the scope check (``read`` for GET, ``write`` otherwise, or ``resource:read|write``)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from tests.fakes.zendesk.errors import ZendeskError, forbidden, invalid_token, not_authenticated
from tests.fakes.zendesk.oauth_state import OAuthState, scopes_allow
from tests.fakes.zendesk.records import User
from tests.fakes.zendesk.store import Store


@dataclass(frozen=True)
class Principal:
    user: User
    method: str  # "oauth" or "api_token"
    scopes: frozenset[str] | None
    all_access: bool = False


def resource_of(path: str) -> str | None:
    """The resource scope a path belongs to (``/api/v2/tickets/1`` → ``tickets``)."""
    parts = path.strip("/").split("/")
    if len(parts) >= 3 and parts[2] in ("tickets", "users"):
        return parts[2]
    return None


def authenticate(
    authorization: str | None, store: Store, oauth: OAuthState, now: float
) -> Principal:
    if not authorization:
        raise not_authenticated()
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer":
        access = oauth.live_access_token(credentials.strip(), now)
        if access is None:
            raise invalid_token()
        user = store.users.get(access.grant.user_id)
        if user is None or not user.active:
            raise invalid_token()
        return Principal(user, "oauth", access.grant.scopes)
    if scheme.lower() == "basic":
        return _basic(credentials.strip(), store, oauth)
    raise not_authenticated()


def _basic(credentials: str, store: Store, oauth: OAuthState) -> Principal:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise not_authenticated() from None
    login, _, secret = decoded.partition(":")
    email, slash, kind = login.partition("/")
    if not slash or kind != "token" or secret not in oauth.api_tokens:
        raise not_authenticated()  # passwords are not accepted (deprecated by Zendesk)
    user = store.user_by_email(email)
    if user is None or not user.is_agent or not user.active:
        raise not_authenticated()
    return Principal(user, "api_token", None, all_access=True)


def authorize(principal: Principal, method: str, path: str) -> None:
    if principal.all_access:
        return
    if not scopes_allow(principal.scopes, method, resource_of(path)):
        raise forbidden()


def check(
    authorization: str | None, method: str, path: str, store: Store, oauth: OAuthState, now: float
) -> Principal:
    """Authenticate and authorize one API request, or raise the Zendesk error."""
    principal = authenticate(authorization, store, oauth, now)
    authorize(principal, method, path)
    return principal


__all__ = ["Principal", "ZendeskError", "check", "resource_of"]
