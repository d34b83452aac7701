"""Admin authentication: every API route is closed without credentials; login, lockout,
sessions (cookie with CSRF header, or bearer), logout, API tokens."""

from __future__ import annotations

import re

from deskline.store.repositories import users
from tests.web.conftest import ADMIN, PASSWORD, Server

PUBLIC = {("POST", "/api/auth/login"), ("GET", "/api/health")}


async def test_every_api_route_but_login_and_health_requires_authentication(
    server: Server,
) -> None:
    paths = server.app.openapi()["paths"]
    checked = 0
    for path, operations in paths.items():
        if not path.startswith("/api/"):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in operations:
            if (method.upper(), path) in PUBLIC:
                continue
            answer = await server.anon.request(method.upper(), url)
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert "message" in answer.json()
            checked += 1
    assert checked >= 20  # the walk really covered the API


async def test_health_needs_no_login_and_reports_the_database(server: Server) -> None:
    answer = await server.anon.get("/api/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "up"}


async def test_login_sets_an_httponly_lax_cookie_and_returns_a_bearer_token(
    server: Server,
) -> None:
    async with server.client() as browser:
        answer = await browser.post(
            "/api/auth/login", json={"username": ADMIN, "password": PASSWORD}
        )
        assert answer.status_code == 200
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=" in cookie
        me = await browser.get("/api/auth/me")
        assert me.json()["username"] == ADMIN and me.json()["authenticated_by"] == "cookie"
    token = answer.json()["token"]
    async with server.client(headers={"Authorization": f"Bearer {token}"}) as script:
        assert (await script.get("/api/auth/me")).json()["authenticated_by"] == "session"


async def test_cookie_requests_that_change_something_need_the_csrf_header(
    server: Server,
) -> None:
    async with server.client() as browser:
        await browser.post("/api/auth/login", json={"username": ADMIN, "password": PASSWORD})
        refused = await browser.post("/api/auth/tokens", json={"name": "ci"})
        assert refused.status_code == 403
        assert "X-Requested-With" in refused.json()["message"]
        accepted = await browser.post(
            "/api/auth/tokens", json={"name": "ci"}, headers={"X-Requested-With": "fetch"}
        )
        assert accepted.status_code == 201


async def test_wrong_password_is_refused_with_a_json_message(server: Server) -> None:
    answer = await server.anon.post(
        "/api/auth/login", json={"username": ADMIN, "password": "not the password"}
    )
    assert answer.status_code == 401
    assert answer.json() == {"message": "wrong username or password"}
    assert "set-cookie" not in answer.headers
    unknown = await server.anon.post(
        "/api/auth/login", json={"username": "nobody", "password": "whatever"}
    )
    assert unknown.status_code == 401


async def test_repeated_failures_lock_the_username_out_even_for_the_right_password(
    server: Server,
) -> None:
    for _ in range(3):  # FAST_AUTH.max_failures
        await server.anon.post("/api/auth/login", json={"username": ADMIN, "password": "guess"})
    locked = await server.anon.post(
        "/api/auth/login", json={"username": ADMIN, "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "too many failed logins" in locked.json()["message"]
    # another account is not affected
    other = await server.anon.post(
        "/api/auth/login", json={"username": "someone", "password": "guess"}
    )
    assert other.status_code == 401


async def test_logout_ends_the_session(server: Server) -> None:
    assert (await server.admin.get("/api/auth/me")).status_code == 200
    assert (await server.admin.post("/api/auth/logout")).status_code == 204
    after = await server.admin.get("/api/auth/me")
    assert after.status_code == 401
    assert "log in again" in after.json()["message"]


async def test_a_tampered_session_is_refused(server: Server) -> None:
    forged = server.token[:-2] + ("AA" if not server.token.endswith("AA") else "BB")
    async with server.client(headers={"Authorization": f"Bearer {forged}"}) as client:
        assert (await client.get("/api/auth/me")).status_code == 401


async def test_api_tokens_are_shown_once_work_and_can_be_revoked(server: Server) -> None:
    created = await server.admin.post("/api/auth/tokens", json={"name": "monitoring"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("dl_")
    listed = await server.admin.get("/api/auth/tokens")
    assert [t["name"] for t in listed.json()] == ["monitoring"]
    assert token not in listed.text
    async with server.runtime.db.read() as session:
        stored = await users.tokens_of(session, 1)
    assert all(token not in t.token_hash for t in stored)  # only the digest is kept

    async with server.client(headers={"Authorization": f"Bearer {token}"}) as script:
        me = await script.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["authenticated_by"] == "token"
        revoked = await server.admin.delete(f"/api/auth/tokens/{created.json()['id']}")
        assert revoked.status_code == 204
        assert (await script.get("/api/auth/me")).status_code == 401


async def test_a_malformed_authorization_header_is_a_clear_401(server: Server) -> None:
    async with server.client(headers={"Authorization": "Basic YWRtaW46eA=="}) as client:
        answer = await client.get("/api/status")
    assert answer.status_code == 401
    assert "Bearer" in answer.json()["message"]
