"""Login, logout and API tokens (``/api/auth``)."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from deskline.runtime.accounts import new_api_token
from deskline.store.repositories import users
from deskline.store.types import utcnow
from deskline.web.auth.guard import AdminDep, require_admin
from deskline.web.auth.sessions import SessionClaims, end_sessions, session_epoch
from deskline.web.deps import AuthDep, RuntimeDep
from deskline.web.errors import api_error

public = APIRouter(prefix="/api/auth", tags=["auth"])
router = APIRouter(prefix="/api/auth", tags=["auth"], dependencies=[Depends(require_admin)])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class LoginAnswer(BaseModel):
    username: str
    token: str = Field(description="The session, usable as 'Authorization: Bearer <token>'.")
    expires_in: int = Field(description="Seconds until the session expires.")


class Me(BaseModel):
    user_id: int
    username: str
    authenticated_by: str


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenInfo(BaseModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class NewToken(TokenInfo):
    token: str = Field(description="Shown once: deskline keeps only its hash.")


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


@public.post("/login", summary="Log in (sets the session cookie and returns a bearer token)")
async def login(
    body: LoginRequest, request: Request, response: Response, runtime: RuntimeDep, auth: AuthDep
) -> LoginAnswer:
    key = (body.username.casefold(), _client(request))
    wait = await auth.throttle.locked_for(key)
    if wait > 0:
        api_error(
            429,
            f"too many failed logins; try again in {math.ceil(wait)} s",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    passwords = runtime.passwords
    async with runtime.db.read() as session:
        user = await users.user_by_username(session, body.username)
    if user is None:
        await asyncio.to_thread(passwords.waste_time, body.password)
        ok = False
    else:
        ok = await asyncio.to_thread(passwords.verify, user.password_hash, body.password)
    if user is None or not ok:
        await auth.throttle.failed(key)
        await asyncio.sleep(auth.options.failure_delay_seconds)
        api_error(401, "wrong username or password")
    await auth.throttle.succeeded(key)
    async with runtime.db.transaction() as session:
        await users.record_login(session, user.id)
        if passwords.needs_rehash(user.password_hash):
            await users.set_password_hash(session, user.id, passwords.hash(body.password))
        epoch = await session_epoch(session, user.id)
    value = auth.codec.encode(SessionClaims(user.id, epoch))
    max_age = auth.options.session_max_age_seconds
    response.set_cookie(
        auth.options.cookie_name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=auth.options.secure_cookie,
        path="/",
    )
    return LoginAnswer(username=user.username, token=value, expires_in=max_age)


@router.post("/logout", summary="End every session of this admin", status_code=204)
async def logout(admin: AdminDep, runtime: RuntimeDep, auth: AuthDep, response: Response) -> None:
    async with runtime.db.transaction() as session:
        await end_sessions(session, admin.user_id)
    response.delete_cookie(auth.options.cookie_name, path="/")


@router.get("/me", summary="Who is logged in")
async def me(admin: AdminDep) -> Me:
    return Me(user_id=admin.user_id, username=admin.username, authenticated_by=admin.via)


@router.get("/tokens", summary="This admin's API tokens (never the tokens themselves)")
async def list_tokens(admin: AdminDep, runtime: RuntimeDep) -> list[TokenInfo]:
    async with runtime.db.read() as session:
        tokens = await users.tokens_of(session, admin.user_id)
    return [TokenInfo.model_validate(token, from_attributes=True) for token in tokens]


@router.post("/tokens", summary="Create a named API token (shown once)", status_code=201)
async def create_token(body: TokenRequest, admin: AdminDep, runtime: RuntimeDep) -> NewToken:
    plain, digest = new_api_token()
    expires = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    async with runtime.db.transaction() as session:
        token = await users.create_token(
            session, admin.user_id, body.name, digest, expires_at=expires
        )
    info = TokenInfo.model_validate(token, from_attributes=True)
    return NewToken(**info.model_dump(), token=plain)


@router.delete("/tokens/{token_id}", summary="Revoke an API token", status_code=204)
async def revoke_token(token_id: int, admin: AdminDep, runtime: RuntimeDep) -> None:
    async with runtime.db.transaction() as session:
        owned = {token.id for token in await users.tokens_of(session, admin.user_id)}
        if token_id not in owned:
            api_error(404, f"you have no API token {token_id}")
        await users.delete_token(session, token_id)
