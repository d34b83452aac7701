"""The guard of every admin API route: who is calling, or a 401.

Accepted credentials, in this order:

1. ``Authorization: Bearer <token>``: an API token (``dl_…``, created at
   ``POST /api/auth/tokens``) or a session value (the ``token`` answered by login);
2. the session cookie set by login. A state-changing request (POST, PUT, PATCH, DELETE)
   authenticated by the cookie must also carry the header ``X-Requested-With`` (any value):
   a page of another site can make a browser send the cookie, but not a custom header, so
   this stops cross-site request forgery. Bearer requests need no such header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal, NoReturn

from fastapi import Depends, Request

from deskline.runtime.accounts import TOKEN_PREFIX, token_digest
from deskline.store.repositories import users
from deskline.store.types import utcnow
from deskline.web.auth.sessions import session_epoch
from deskline.web.deps import AuthDep, RuntimeDep
from deskline.web.errors import api_error

CSRF_HEADER = "X-Requested-With"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """The admin behind a request, and how they authenticated."""

    user_id: int
    username: str
    via: Literal["cookie", "session", "token"]
    token_id: int | None = None


def _unauthorized(message: str) -> NoReturn:
    api_error(401, message, headers={"WWW-Authenticate": "Bearer"})


async def require_admin(request: Request, runtime: RuntimeDep, auth: AuthDep) -> Principal:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            _unauthorized("the Authorization header must be 'Bearer <token>'")
        if credential.startswith(TOKEN_PREFIX):
            return await _api_token(runtime, credential)
        return await _session(runtime, auth, credential, "session")
    cookie = request.cookies.get(auth.options.cookie_name)
    if cookie:
        principal = await _session(runtime, auth, cookie, "cookie")
        if request.method not in SAFE_METHODS and not request.headers.get(CSRF_HEADER):
            api_error(
                403,
                f"requests authenticated by the session cookie that change something need the "
                f"header {CSRF_HEADER} (cross-site request forgery protection)",
            )
        return principal
    _unauthorized(
        "authentication required: log in at POST /api/auth/login, or send "
        "'Authorization: Bearer <token>'"
    )


async def _api_token(runtime: RuntimeDep, credential: str) -> Principal:
    digest = token_digest(credential)
    async with runtime.db.read() as session:
        token = await users.token_by_hash(session, digest)
        user = None if token is None else await users.get_user(session, token.user_id)
    if token is None or user is None:
        _unauthorized("unknown, revoked or expired API token")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        async with runtime.db.transaction() as session:
            await users.touch_token(session, token.id, now)
    return Principal(user.id, user.username, "token", token.id)


async def _session(
    runtime: RuntimeDep, auth: AuthDep, value: str, via: Literal["cookie", "session"]
) -> Principal:
    claims = auth.codec.decode(value)
    if claims is None:
        _unauthorized("the session is invalid or has expired; log in again")
    async with runtime.db.read() as session:
        user = await users.get_user(session, claims.user_id)
        epoch = await session_epoch(session, claims.user_id)
    if user is None or epoch != claims.epoch:
        _unauthorized("the session has ended; log in again")
    return Principal(user.id, user.username, via)


AdminDep = Annotated[Principal, Depends(require_admin)]
