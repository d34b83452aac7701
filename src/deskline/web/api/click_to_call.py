"""Click-to-call (``POST /api/click-to-call``): the PBX rings the extension, then the number.

``connection`` (a name or id) picks the PBX; without it, the one running PBX connection that
is not the simulator is used (or the simulator when it is the only one). Answers: 202 with
the PBX's answer when it accepted the call; 502 with the PBX's message when it refused; 409
when the connection is not running; 422 for a number or extension that cannot be dialled.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from deskline.pbx.base import PbxAdapter
from deskline.runtime.click_to_call import ClickToCallError
from deskline.store.repositories.pbx_connections import (
    PbxConnectionRepository,
    PbxConnectionView,
)
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep
from deskline.web.errors import api_error

router = APIRouter(prefix="/api", tags=["click-to-call"], dependencies=[Depends(require_admin)])

SIMULATOR_KIND = "simulator"


class ClickToCallIn(BaseModel):
    extension: str = Field(min_length=1, max_length=64)
    number: str = Field(min_length=1, max_length=64)
    connection: str | None = Field(default=None, max_length=100, description="Name or id.")


class ClickToCallOut(BaseModel):
    accepted: bool
    message: str
    call_id: str | None
    details: dict[str, str]
    connection: str
    extension: str
    number: str
    debounced: bool = Field(description="True: the answer of an identical recent request.")


def _running(
    runtime: RuntimeDep, views: list[PbxConnectionView]
) -> list[tuple[PbxConnectionView, PbxAdapter]]:
    found = []
    for view in views:
        adapter = runtime.supervisor.adapter(view.id)
        if adapter is not None:
            found.append((view, adapter))
    return found


async def _choose(runtime: RuntimeDep, wanted: str | None) -> tuple[PbxConnectionView, PbxAdapter]:
    async with runtime.db.read() as session:
        views = await PbxConnectionRepository(session, runtime.box).list(enabled_only=True)
    if wanted is not None:
        matching = [v for v in views if v.name == wanted or str(v.id) == wanted]
        if not matching:
            api_error(404, f"no enabled PBX connection {wanted[:100]!r}")
        running = _running(runtime, matching)
        if not running:
            api_error(409, f"PBX connection {matching[0].name!r} is not running right now")
        return running[0]
    running = _running(runtime, views)
    real = [pair for pair in running if pair[0].kind != SIMULATOR_KIND]
    candidates = real or running
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        api_error(409, "no PBX connection is running")
    names = ", ".join(view.name for view, _ in candidates)
    api_error(422, f"several PBX connections are running ({names}); say which in 'connection'")


@router.post(
    "/click-to-call",
    summary="Call a number from an extension",
    status_code=202,
    response_model=ClickToCallOut,
    responses={502: {"description": "The PBX refused the call (its message is in message)."}},
)
async def click_to_call(body: ClickToCallIn, runtime: RuntimeDep) -> JSONResponse:
    view, adapter = await _choose(runtime, body.connection)
    try:
        outcome = await runtime.click_to_call.dial(view.id, adapter, body.extension, body.number)
    except ClickToCallError as exc:
        api_error(exc.status, exc.message)
    result = outcome.result
    answer = ClickToCallOut(
        accepted=result.accepted,
        message=result.message,
        call_id=result.call_id,
        details=dict(result.details),
        connection=view.name,
        extension=outcome.extension,
        number=outcome.number,
        debounced=outcome.debounced,
    )
    if not result.accepted:
        return JSONResponse(
            {
                "message": f"the PBX refused the call: {result.message or 'no reason given'}",
                **answer.model_dump(),
            },
            502,
        )
    return JSONResponse(answer.model_dump(), 202)
