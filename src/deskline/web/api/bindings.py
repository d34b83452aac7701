"""Helpdesk users bound to extensions (``/api/bindings``), and agents' screen-pop tokens.

``POST /api/bindings/{id}/agent-token`` issues the token an agent's console uses to open the
screen-pop WebSocket: connect to the answered ``websocket_url`` (it carries the token).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from deskline.integration.bindings import (
    AutoBindReport,
    BindingBook,
    BindingView,
    PopMode,
    PopTrigger,
)
from deskline.pipeline.agent_tokens import issue_agent_token
from deskline.runtime.services import Runtime
from deskline.web.api.extensions import ExtensionOut
from deskline.web.api.helpdesk import refusals
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep

router = APIRouter(prefix="/api", tags=["helpdesk"], dependencies=[Depends(require_admin)])

AGENT_WS_PATH = "/ws/agent"


class BindingOut(BaseModel):
    id: int
    extension: str
    extension_name: str | None
    helpdesk_user_id: int
    user_remote_id: str
    user_name: str
    user_email: str | None
    user_active: bool
    method: str = Field(description="auto (same e-mail) or manual")
    pop_mode: PopMode
    pop_trigger: PopTrigger


class BindingsOut(BaseModel):
    bindings: list[BindingOut]
    unbound_extensions: list[ExtensionOut]


class BindingIn(BaseModel):
    helpdesk_user_id: int
    extension: str = Field(max_length=64)
    pop_mode: PopMode = PopMode.AUTO
    pop_trigger: PopTrigger = PopTrigger.RINGING


class BindingPatch(BaseModel):
    pop_mode: PopMode | None = None
    pop_trigger: PopTrigger | None = None


class AutoBindOut(BaseModel):
    bound: list[BindingOut]
    already_bound: int
    users_without_extension: list[str] = Field(description="E-mails of unmatched users.")
    extensions_without_user: list[str]
    ambiguous: list[str] = Field(description="Extensions whose e-mail several users share.")


class AgentTokenOut(BaseModel):
    extension: str
    token: str
    websocket_url: str


def _out(view: BindingView) -> BindingOut:
    return BindingOut.model_validate(view.__dict__)


def _auto_out(report: AutoBindReport) -> AutoBindOut:
    return AutoBindOut(
        bound=[_out(v) for v in report.bound],
        already_bound=report.already_bound,
        users_without_extension=report.users_without_extension,
        extensions_without_user=report.extensions_without_user,
        ambiguous=report.ambiguous,
    )


def agent_websocket_url(runtime: Runtime, token: str) -> str:
    base = runtime.settings.effective_public_url
    scheme, _, rest = base.partition("://")
    ws_scheme = "wss" if scheme == "https" else "ws"
    return f"{ws_scheme}://{rest}{AGENT_WS_PATH}?token={quote(token, safe='')}"


@router.get("/bindings", summary="The bindings, and the extensions bound to nobody")
async def list_bindings(runtime: RuntimeDep) -> BindingsOut:
    with refusals():
        views, unbound = await BindingBook(runtime.db).list()
    return BindingsOut(
        bindings=[_out(v) for v in views],
        unbound_extensions=[ExtensionOut.model_validate(e) for e in unbound],
    )


@router.post("/bindings/auto", summary="Bind users and extensions that share an e-mail")
async def auto_bind(runtime: RuntimeDep) -> AutoBindOut:
    with refusals():
        report = await BindingBook(runtime.db).auto_bind()
    return _auto_out(report)


@router.post("/bindings", summary="Bind a helpdesk user to an extension", status_code=201)
async def bind(body: BindingIn, runtime: RuntimeDep) -> BindingOut:
    with refusals():
        view = await BindingBook(runtime.db).bind(
            body.helpdesk_user_id, body.extension.strip(), body.pop_mode, body.pop_trigger
        )
    return _out(view)


@router.get("/bindings/{binding_id}", summary="One binding")
async def get_binding(binding_id: int, runtime: RuntimeDep) -> BindingOut:
    with refusals():
        return _out(await BindingBook(runtime.db).get(binding_id))


@router.patch("/bindings/{binding_id}", summary="Change the screen-pop setting of a binding")
async def change_binding(binding_id: int, body: BindingPatch, runtime: RuntimeDep) -> BindingOut:
    with refusals():
        view = await BindingBook(runtime.db).change(binding_id, body.pop_mode, body.pop_trigger)
    return _out(view)


@router.delete("/bindings/{binding_id}", summary="Unbind", status_code=204)
async def unbind(binding_id: int, runtime: RuntimeDep) -> None:
    with refusals():
        await BindingBook(runtime.db).unbind(binding_id)


@router.post("/bindings/{binding_id}/agent-token", summary="A screen-pop token for the agent")
async def agent_token(binding_id: int, runtime: RuntimeDep) -> AgentTokenOut:
    with refusals():
        view = await BindingBook(runtime.db).get(binding_id)
    token = issue_agent_token(runtime.settings.effective_secret_key, view.extension)
    return AgentTokenOut(
        extension=view.extension, token=token, websocket_url=agent_websocket_url(runtime, token)
    )
