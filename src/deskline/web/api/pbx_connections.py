"""PBX connections (``/api/pbx-connections``) and kinds (``/api/pbx-kinds``).

A connection's ``config`` is checked by its kind's config model; its secret fields are stored
encrypted and shown as ``"********"`` (or null when unset) — sending ``"********"`` back in a
PATCH keeps the stored secret. Creating, changing, enabling or disabling a connection applies
at once: the supervisor restarts (or stops) its adapter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from deskline.runtime.pbx_config import (
    InvalidConnectionConfig,
    config_model,
    merge_update,
    public_config,
    secret_fields,
    split_config,
    validate_config,
)
from deskline.runtime.probe import probe_connection
from deskline.store.repositories.pbx_connections import (
    PbxConnectionRepository,
    PbxConnectionView,
)
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep
from deskline.web.errors import api_error

router = APIRouter(prefix="/api", tags=["pbx"], dependencies=[Depends(require_admin)])

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class ConnectionIn(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, description="Also the webhook URL's last part.")
    kind: str
    enabled: bool = True
    config: dict[str, Any] = Field(default_factory=dict)


class ConnectionPatch(BaseModel):
    enabled: bool | None = None
    config: dict[str, Any] | None = Field(
        default=None, description="Fields to change; null resets a field to its default."
    )


class ConnectionOut(BaseModel):
    id: int
    name: str
    kind: str
    enabled: bool
    config: dict[str, Any]
    status: str
    status_detail: str | None
    created_at: datetime
    updated_at: datetime


class KindInfo(BaseModel):
    kind: str
    secret_fields: list[str]
    config_schema: dict[str, Any]


class TestResult(BaseModel):
    ok: bool
    message: str


def _out(view: PbxConnectionView) -> ConnectionOut:
    return ConnectionOut(
        id=view.id,
        name=view.name,
        kind=view.kind,
        enabled=view.enabled,
        config=public_config(view.kind, view.config, set(view.secrets)),
        status=view.status,
        status_detail=view.status_detail,
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


def _validated(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        return split_config(validate_config(kind, data))
    except LookupError as exc:
        api_error(422, str(exc))
    except InvalidConnectionConfig as exc:
        api_error(422, str(exc), problems=[p.as_dict() for p in exc.problems])


async def _view(runtime: RuntimeDep, connection_id: int) -> PbxConnectionView:
    async with runtime.db.read() as session:
        view = await PbxConnectionRepository(session, runtime.box).get(connection_id)
    if view is None:
        api_error(404, f"no PBX connection {connection_id}")
    return view


@router.get("/pbx-kinds", summary="The PBX kinds and the JSON Schema of each one's config")
async def pbx_kinds(runtime: RuntimeDep) -> list[KindInfo]:
    return [
        KindInfo(
            kind=kind, secret_fields=secret_fields(model), config_schema=model.model_json_schema()
        )
        for kind, model in sorted(runtime.kinds.items())
    ]


@router.get("/pbx-connections", summary="Every PBX connection")
async def list_connections(runtime: RuntimeDep) -> list[ConnectionOut]:
    async with runtime.db.read() as session:
        views = await PbxConnectionRepository(session, runtime.box).list()
    return [_out(view) for view in views]


@router.post("/pbx-connections", summary="Add a PBX connection", status_code=201)
async def create_connection(body: ConnectionIn, runtime: RuntimeDep) -> ConnectionOut:
    config, secrets = _validated(body.kind, body.config)
    try:
        async with runtime.db.transaction() as session:
            view = await PbxConnectionRepository(session, runtime.box).create(
                name=body.name,
                kind=body.kind,
                config=config,
                secrets=dict(secrets),
                enabled=body.enabled,
            )
    except ValueError as exc:
        api_error(409, str(exc))
    await runtime.supervisor.reload(view.id)
    return _out(await _view(runtime, view.id))


@router.get("/pbx-connections/{connection_id}", summary="One PBX connection")
async def get_connection(connection_id: int, runtime: RuntimeDep) -> ConnectionOut:
    return _out(await _view(runtime, connection_id))


@router.patch("/pbx-connections/{connection_id}", summary="Change, enable or disable")
async def update_connection(
    connection_id: int, body: ConnectionPatch, runtime: RuntimeDep
) -> ConnectionOut:
    current = await _view(runtime, connection_id)
    config = secrets = None
    if body.config is not None:
        try:
            names = secret_fields(config_model(current.kind))
        except LookupError as exc:
            api_error(422, str(exc))
        merged = merge_update(current.full_config(), body.config, names)
        config, plain_secrets = _validated(current.kind, merged)
        secrets = dict(plain_secrets)
    async with runtime.db.transaction() as session:
        await PbxConnectionRepository(session, runtime.box).update(
            connection_id,
            config=config,
            secrets=dict(secrets) if secrets else None,
            enabled=body.enabled,
        )
    await runtime.supervisor.reload(connection_id)
    return _out(await _view(runtime, connection_id))


@router.delete("/pbx-connections/{connection_id}", summary="Delete", status_code=204)
async def delete_connection(connection_id: int, runtime: RuntimeDep) -> None:
    view = await _view(runtime, connection_id)
    async with runtime.db.transaction() as session:
        await PbxConnectionRepository(session, runtime.box).delete(connection_id)
    await runtime.supervisor.remove(connection_id, view.name)


@router.post(
    "/pbx-connections/{connection_id}/test",
    summary="Try to connect and authenticate with the stored config",
)
async def test_connection(connection_id: int, runtime: RuntimeDep) -> TestResult:
    view = await _view(runtime, connection_id)
    try:
        validate_config(view.kind, view.full_config())
    except (LookupError, InvalidConnectionConfig) as exc:
        return TestResult(ok=False, message=str(exc))
    result = await probe_connection(view.kind, view.full_config())
    return TestResult(ok=result.ok, message=result.message)
