"""The connected helpdesk (``/api/helpdesk``) and the OAuth callback (``/oauth/callback``).

- ``GET /api/helpdesk``: status (``not_connected``, ``authorizing``, ``connected``,
  ``needs_reauth``, ``disabled``), template, fields (secrets shown as ``"********"``), settings.
- ``GET /api/helpdesk/redirect-uri``: the URI to register in the helpdesk's OAuth client.
- ``POST /api/helpdesk/connect`` ``{template_key, fields}``: OAuth2 templates answer the
  ``authorization_url`` to open; others are tested and connected at once.
- ``GET /oauth/callback?code&state`` (no admin login: it is the browser coming back; the
  ``state`` must be one this deskline issued, unexpired and unused): a small HTML page saying
  Connected, or why not.
- ``POST /api/helpdesk/disable`` / ``enable`` / ``disconnect``.
- ``GET/PUT /api/helpdesk/settings``.
- ``POST /api/helpdesk/users/refresh``, ``GET /api/helpdesk/users``.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from deskline.integration.connection_settings import SettingsService
from deskline.integration.problems import IntegrationError
from deskline.integration.records import ConnectionStatus, read_secrets
from deskline.integration.service import CALLBACK_PATH, HelpdeskService
from deskline.integration.settings_model import IntegrationSettings
from deskline.integration.users import UserDirectory, display_name
from deskline.pipeline.jobs.common import release_waiting_jobs
from deskline.runtime.services import Runtime
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep
from deskline.web.errors import api_error

router = APIRouter(prefix="/api", tags=["helpdesk"], dependencies=[Depends(require_admin)])
public = APIRouter(tags=["helpdesk"])

SECRET_SHOWN = "********"


@contextmanager
def refusals() -> Iterator[None]:
    """An :class:`IntegrationError` becomes the JSON error answer of its status."""
    try:
        yield
    except IntegrationError as exc:
        if exc.problems:
            api_error(exc.status, exc.message, problems=exc.problems)
        api_error(exc.status, exc.message)


def helpdesk_service(runtime: Runtime) -> HelpdeskService:
    provider = runtime.helpdesks
    return HelpdeskService(
        runtime.db, provider, runtime.settings.effective_public_url, clock=provider.options.clock
    )


class ConnectIn(BaseModel):
    template_key: str = Field(max_length=64)
    fields: dict[str, str | None] = Field(default_factory=dict)


class ConnectOut(BaseModel):
    status: str
    redirect_uri: str
    authorization_url: str | None = Field(
        description="Open it in the browser (OAuth2 templates); null: connected at once."
    )
    expires_in: int | None = Field(description="Seconds the authorization may take.")


class HelpdeskOut(BaseModel):
    status: str = Field(
        description="not_connected, authorizing, connected, needs_reauth or disabled"
    )
    status_detail: str | None = None
    template_key: str | None = None
    name: str | None = None
    enabled: bool | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    settings: dict[str, Any] | None = None
    connected_at: datetime | None = None
    redirect_uri: str


class RedirectUriOut(BaseModel):
    redirect_uri: str


class DisconnectOut(BaseModel):
    template_key: str
    users_removed: int
    bindings_removed: int
    contacts_removed: int
    groups_released: list[str]


class RefreshOut(BaseModel):
    fetched: int
    added: int
    updated: int
    deactivated: int
    requests: int
    warnings: list[str]


class UserOut(BaseModel):
    id: int
    remote_id: str
    name: str
    first_name: str | None
    last_name: str | None
    email: str | None
    active: bool


@router.get("/helpdesk", summary="The connected helpdesk: status, fields, settings")
async def get_helpdesk(runtime: RuntimeDep) -> HelpdeskOut:
    service = helpdesk_service(runtime)
    row = await service.connection()
    if row is None:
        return HelpdeskOut(status="not_connected", redirect_uri=service.redirect_uri)
    fields = {k: str(v) for k, v in row.fields.items()}
    fields.update({name: SECRET_SHOWN for name in read_secrets(runtime.box, row).fields})
    status = row.status
    if status != ConnectionStatus.AUTHORIZING and not row.enabled:
        status = "disabled"
    return HelpdeskOut(
        status=status,
        status_detail=row.status_detail,
        template_key=row.template_key,
        name=row.name,
        enabled=row.enabled,
        fields=fields,
        settings=IntegrationSettings.from_stored(row.settings).stored(),
        connected_at=row.connected_at,
        redirect_uri=service.redirect_uri,
    )


@router.get("/helpdesk/redirect-uri", summary="The redirect URI to paste into the helpdesk")
async def redirect_uri(runtime: RuntimeDep) -> RedirectUriOut:
    return RedirectUriOut(redirect_uri=helpdesk_service(runtime).redirect_uri)


@router.post("/helpdesk/connect", summary="Connect a helpdesk (OAuth2: start authorizing)")
async def connect(body: ConnectIn, runtime: RuntimeDep) -> ConnectOut:
    with refusals():
        start = await helpdesk_service(runtime).connect(body.template_key, body.fields)
    return ConnectOut(
        status=start.status,
        redirect_uri=start.redirect_uri,
        authorization_url=start.authorization_url,
        expires_in=start.expires_in,
    )


@router.post("/helpdesk/disable", summary="Turn the integration off; every setting is kept")
async def disable(runtime: RuntimeDep) -> HelpdeskOut:
    with refusals():
        await helpdesk_service(runtime).set_enabled(False)
    return await get_helpdesk(runtime)


@router.post("/helpdesk/enable", summary="Turn the integration on again")
async def enable(runtime: RuntimeDep) -> HelpdeskOut:
    with refusals():
        await helpdesk_service(runtime).set_enabled(True)
    await resume_waiting_jobs(runtime)
    return await get_helpdesk(runtime)


async def resume_waiting_jobs(runtime: Runtime) -> None:
    """The helpdesk can be used again: the jobs that waited for it run now, not at their next
    look (up to ``PipelineOptions.wait_seconds`` later)."""
    async with runtime.db.transaction() as session:
        released = await release_waiting_jobs(session)
    if released and runtime.worker is not None:
        runtime.worker.wake()


@router.post("/helpdesk/disconnect", summary="Disconnect: forget tokens, settings, bindings")
async def disconnect(runtime: RuntimeDep) -> DisconnectOut:
    with refusals():
        report = await helpdesk_service(runtime).disconnect()
    return DisconnectOut(**report.__dict__)


@router.get("/helpdesk/settings", summary="The integration settings (F8–F13)")
async def get_settings(runtime: RuntimeDep) -> IntegrationSettings:
    with refusals():
        return await SettingsService(runtime.db, runtime.helpdesks).get()


@router.put(
    "/helpdesk/settings",
    summary="Replace the integration settings",
    description="The body is the settings document (GET's answer); missing keys take their "
    "defaults. An extra key `new_group_name` creates that phonebook group for contact sync.",
)
async def put_settings(body: dict[str, Any], runtime: RuntimeDep) -> IntegrationSettings:
    data = dict(body)
    new_group = data.pop("new_group_name", None)
    if new_group is not None and not isinstance(new_group, str):
        api_error(422, "new_group_name must be a string")
    with refusals():
        return await SettingsService(runtime.db, runtime.helpdesks).put(data, new_group)


@router.post("/helpdesk/users/refresh", summary="Fetch the helpdesk's agents (all pages)")
async def refresh_users(runtime: RuntimeDep) -> RefreshOut:
    with refusals():
        report = await UserDirectory(runtime.db, runtime.helpdesks).refresh()
    return RefreshOut(**report.__dict__)


@router.get("/helpdesk/users", summary="The helpdesk's agents as last fetched")
async def list_users(runtime: RuntimeDep) -> list[UserOut]:
    with refusals():
        users = await UserDirectory(runtime.db, runtime.helpdesks).list()
    return [
        UserOut(
            id=u.id,
            remote_id=u.remote_id,
            name=display_name(u),
            first_name=u.first_name,
            last_name=u.last_name,
            email=u.email,
            active=u.active,
        )
        for u in users
    ]


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>deskline: {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>{title}</h1><p>{message}</p><p><a href="/">Back to deskline</a></p></body></html>
"""


@public.get(CALLBACK_PATH, summary="Where the helpdesk sends the browser after authorizing")
async def oauth_callback(
    runtime: RuntimeDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> HTMLResponse:
    result = await helpdesk_service(runtime).complete_authorization(
        code=code, state=state, error=error, error_description=error_description
    )
    if result.ok:
        await resume_waiting_jobs(runtime)
    page = _PAGE.format(title=html.escape(result.title), message=html.escape(result.message))
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(page, 200 if result.ok else 400, headers=headers)
