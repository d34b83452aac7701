"""PBX extensions deskline knows (``/api/extensions``): number, name, e-mail for auto-bind."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from deskline.integration.extensions import ExtensionBook
from deskline.web.api.helpdesk import refusals
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep

router = APIRouter(prefix="/api", tags=["helpdesk"], dependencies=[Depends(require_admin)])


class ExtensionIn(BaseModel):
    number: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=320)


class ExtensionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    name: str | None
    email: str | None
    source: str
    created_at: datetime


@router.get("/extensions", summary="Every extension deskline knows")
async def list_extensions(runtime: RuntimeDep) -> list[ExtensionOut]:
    rows = await ExtensionBook(runtime.db).list()
    return [ExtensionOut.model_validate(row) for row in rows]


@router.post("/extensions", summary="Add an extension", status_code=201)
async def add_extension(body: ExtensionIn, runtime: RuntimeDep) -> ExtensionOut:
    with refusals():
        row = await ExtensionBook(runtime.db).add(body.number, body.name, body.email)
    return ExtensionOut.model_validate(row)


@router.delete("/extensions/{extension_id}", summary="Remove an extension", status_code=204)
async def remove_extension(extension_id: int, runtime: RuntimeDep) -> None:
    with refusals():
        await ExtensionBook(runtime.db).remove(extension_id)
