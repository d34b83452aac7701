"""PBX connections through the admin API: kinds with their schema, CRUD with write-only
secrets, validation, the supervisor applying changes, and "test connection" against a fake
Asterisk over TCP."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from deskline.store.models import PbxConnection
from tests.fakes.ami_server import FakeAmiServer
from tests.web.conftest import Server

SECRET = "ami-secret-never-shown"


def asterisk(port: int = 5038, secret: str = SECRET, **extra: Any) -> dict[str, Any]:
    return {
        "name": "office",
        "kind": "asterisk",
        "config": {"host": "127.0.0.1", "port": port, "username": "helpdesk", "secret": secret},
        **extra,
    }


async def wait_for_status(server: Server, connection_id: int, wanted: str) -> dict[str, Any]:
    for _ in range(200):
        answer = (await server.admin.get(f"/api/pbx-connections/{connection_id}")).json()
        if answer["status"] == wanted:
            return dict(answer)
        await asyncio.sleep(0.02)
    raise AssertionError(f"status stayed {answer['status']} ({answer['status_detail']})")


async def test_kinds_come_with_the_json_schema_of_their_config(server: Server) -> None:
    kinds = {k["kind"]: k for k in (await server.admin.get("/api/pbx-kinds")).json()}
    assert {"asterisk", "pseries", "webhook", "simulator"} <= set(kinds)
    assert kinds["asterisk"]["secret_fields"] == ["secret"]
    assert "host" in kinds["asterisk"]["config_schema"]["properties"]
    assert "client_secret" in kinds["pseries"]["secret_fields"]


async def test_secrets_are_write_only_and_stored_encrypted(server: Server) -> None:
    created = await server.admin.post("/api/pbx-connections", json=asterisk(enabled=False))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["config"]["secret"] == "********"
    assert body["config"]["username"] == "helpdesk"
    for url in ("/api/pbx-connections", f"/api/pbx-connections/{body['id']}", "/api/status"):
        assert SECRET not in (await server.admin.get(url)).text
    async with server.runtime.db.read() as session:
        row = (
            await session.execute(select(PbxConnection).where(PbxConnection.name == "office"))
        ).scalar_one()
    assert row.secrets is not None and SECRET not in row.secrets
    assert SECRET not in repr(row) and "secret" not in row.config


async def test_invalid_config_lists_every_problem_without_echoing_values(server: Server) -> None:
    bad = asterisk(port=99999, secret="")
    bad["config"].pop("username")
    answer = await server.admin.post("/api/pbx-connections", json=bad)
    assert answer.status_code == 422
    paths = {problem["path"] for problem in answer.json()["problems"]}
    assert {"port", "username"} <= paths
    unknown = await server.admin.post(
        "/api/pbx-connections", json={"name": "x", "kind": "nokia", "config": {}}
    )
    assert unknown.status_code == 422 and "unknown PBX kind" in unknown.json()["message"]
    hostile = asterisk(secret="s3cr3t-in-a-bad-config")
    hostile["config"]["port"] = "not a port"
    refused = await server.admin.post("/api/pbx-connections", json=hostile)
    assert refused.status_code == 422 and "s3cr3t" not in refused.text


async def test_duplicate_names_conflict(server: Server) -> None:
    assert (
        await server.admin.post("/api/pbx-connections", json=asterisk(enabled=False))
    ).status_code == 201
    again = await server.admin.post("/api/pbx-connections", json=asterisk(enabled=False))
    assert again.status_code == 409 and "office" in again.json()["message"]


async def test_patch_keeps_a_masked_secret_and_replaces_a_new_one(server: Server) -> None:
    created = (await server.admin.post("/api/pbx-connections", json=asterisk(enabled=False))).json()
    url = f"/api/pbx-connections/{created['id']}"
    kept = await server.admin.patch(url, json={"config": {"port": 5039, "secret": "********"}})
    assert kept.status_code == 200 and kept.json()["config"]["port"] == 5039
    async with server.runtime.db.read() as session:
        from deskline.store.repositories.pbx_connections import PbxConnectionRepository

        view = await PbxConnectionRepository(session, server.runtime.box).get(created["id"])
        assert view is not None and view.secrets["secret"].get_secret_value() == SECRET
    await server.admin.patch(url, json={"config": {"secret": "a-new-secret"}})
    async with server.runtime.db.read() as session:
        view = await PbxConnectionRepository(session, server.runtime.box).get(created["id"])
        assert view is not None and view.secrets["secret"].get_secret_value() == "a-new-secret"


async def test_the_supervisor_connects_enabled_connections_and_stops_disabled_ones(
    server: Server,
) -> None:
    async with FakeAmiServer() as ami:
        created = await server.admin.post(
            "/api/pbx-connections",
            json=asterisk(port=ami.port, secret=ami.secret),
        )
        connection = created.json()
        await wait_for_status(server, connection["id"], "connected")
        assert ami.logins == 1
        assert server.runtime.supervisor.adapter(connection["id"]) is not None

        url = f"/api/pbx-connections/{connection['id']}"
        disabled = await server.admin.patch(url, json={"enabled": False})
        assert disabled.json()["status"] == "disabled"
        assert server.runtime.supervisor.adapter(connection["id"]) is None

        await server.admin.patch(url, json={"enabled": True})
        await wait_for_status(server, connection["id"], "connected")
        assert ami.logins == 2

        assert (await server.admin.delete(url)).status_code == 204
        assert (await server.admin.get(url)).status_code == 404
        assert server.runtime.supervisor.adapter(connection["id"]) is None


async def test_refused_credentials_show_as_auth_failed(server: Server) -> None:
    async with FakeAmiServer() as ami:
        created = await server.admin.post(
            "/api/pbx-connections", json=asterisk(port=ami.port, secret="wrong-secret")
        )
        failed = await wait_for_status(server, created.json()["id"], "auth_failed")
        assert "refused the login" in failed["status_detail"]


async def test_test_connection_logs_in_or_says_why_not(server: Server) -> None:
    async with FakeAmiServer() as ami:
        good = await server.admin.post(
            "/api/pbx-connections",
            json=asterisk(port=ami.port, secret=ami.secret, enabled=False),
        )
        answer = await server.admin.post(f"/api/pbx-connections/{good.json()['id']}/test")
        assert answer.json()["ok"] is True
        assert "logged in" in answer.json()["message"]

        bad = asterisk(port=ami.port, secret="wrong-secret", enabled=False)
        bad["name"] = "wrong"
        created = await server.admin.post("/api/pbx-connections", json=bad)
        refused = await server.admin.post(f"/api/pbx-connections/{created.json()['id']}/test")
        assert refused.json()["ok"] is False
        assert "refused" in refused.json()["message"]


async def test_the_builtin_simulator_is_listed_and_connected(server: Server) -> None:
    listed = (await server.admin.get("/api/pbx-connections")).json()
    simulator = next(c for c in listed if c["name"] == "simulator")
    assert simulator["kind"] == "simulator"
    assert simulator["config"]["token"] == "********"
    await wait_for_status(server, simulator["id"], "connected")
    status = (await server.admin.get("/api/status")).json()
    assert status["database"] in ("sqlite", "postgresql")
    assert any(c["name"] == "simulator" for c in status["pbx_connections"])
