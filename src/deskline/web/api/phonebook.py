"""Phonebook groups and contacts (``/api/phonebook``) and the caller-ID lookup.

Contacts of the Helpdesk-synced group are read-only while the helpdesk is connected (409).
``GET /api/phonebook/groups/{id}/export.csv`` exports a group (see
:mod:`deskline.integration.phonebook_export` for the escaping rules).

``GET /api/caller-id?number=…`` answers ``{"name": …}`` (``?format=text``: the name as plain
text, empty when unknown) for PBX dialplans. It needs an API token (``dl_…``, created at
``POST /api/auth/tokens``) as ``Authorization: Bearer …`` or, for dialplans that cannot send
headers, as the ``token`` query parameter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from deskline.integration.caller_id import CallerIdLookup
from deskline.integration.phonebook import ContactData, Phonebook, contact_name
from deskline.integration.phonebook_export import contacts_csv
from deskline.integration.sync_problems import sync_problems
from deskline.runtime.accounts import TOKEN_PREFIX, token_digest
from deskline.store.models import PhonebookContact
from deskline.store.repositories import users
from deskline.web.api.helpdesk import refusals
from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep
from deskline.web.errors import api_error

router = APIRouter(prefix="/api", tags=["phonebook"], dependencies=[Depends(require_admin)])
caller_id = APIRouter(prefix="/api", tags=["phonebook"])


class GroupIn(BaseModel):
    name: str = Field(max_length=200)


class GroupOut(BaseModel):
    id: int
    name: str
    label: str | None
    synced: bool = Field(description="Synced from the connected helpdesk: read-only.")
    contacts: int


class ContactIn(BaseModel):
    first_name: str | None = Field(default=None, max_length=255)
    last_name: str | None = Field(default=None, max_length=255)
    company: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=320)
    remark: str | None = Field(default=None, max_length=2000)
    numbers: dict[str, str] = Field(
        default_factory=dict, description="kind → number; kinds: business, mobile, home, fax, other"
    )


class ContactOut(BaseModel):
    id: int
    group_id: int
    remote_id: str | None
    name: str
    first_name: str | None
    last_name: str | None
    company: str | None
    email: str | None
    remark: str | None
    numbers: dict[str, Any]
    updated_at: datetime


class SyncProblemOut(BaseModel):
    remote_id: str | None = None
    name: str | None = None
    reason: str | None = None
    at: str | None = None


class CallerIdOut(BaseModel):
    name: str | None
    source: str | None = Field(description="phonebook or helpdesk; null when unknown")
    match: str | None = Field(description="e164 (a number variant) or tail (last digits)")


def _contact_out(row: PhonebookContact) -> ContactOut:
    return ContactOut(
        id=row.id,
        group_id=row.group_id,
        remote_id=row.remote_id,
        name=contact_name(row),
        first_name=row.first_name,
        last_name=row.last_name,
        company=row.company,
        email=row.email,
        remark=row.remark,
        numbers=dict(row.numbers or {}),
        updated_at=row.updated_at,
    )


def _data(body: ContactIn) -> ContactData:
    return ContactData(**body.model_dump())


@router.get("/phonebook/groups", summary="The phonebook groups")
async def list_groups(runtime: RuntimeDep) -> list[GroupOut]:
    return [GroupOut(**g.__dict__) for g in await Phonebook(runtime.db).groups()]


@router.post("/phonebook/groups", summary="Create a group", status_code=201)
async def create_group(body: GroupIn, runtime: RuntimeDep) -> GroupOut:
    with refusals():
        return GroupOut(**(await Phonebook(runtime.db).create_group(body.name)).__dict__)


@router.delete("/phonebook/groups/{group_id}", summary="Delete a group", status_code=204)
async def delete_group(group_id: int, runtime: RuntimeDep) -> None:
    with refusals():
        await Phonebook(runtime.db).delete_group(group_id)


@router.get("/phonebook/groups/{group_id}/contacts", summary="The contacts of a group")
async def list_contacts(group_id: int, runtime: RuntimeDep) -> list[ContactOut]:
    with refusals():
        rows = await Phonebook(runtime.db).contacts(group_id)
    return [_contact_out(row) for row in rows]


@router.post("/phonebook/groups/{group_id}/contacts", summary="Add a contact", status_code=201)
async def add_contact(group_id: int, body: ContactIn, runtime: RuntimeDep) -> ContactOut:
    with refusals():
        return _contact_out(await Phonebook(runtime.db).add_contact(group_id, _data(body)))


@router.put("/phonebook/groups/{group_id}/contacts/{contact_id}", summary="Replace a contact")
async def change_contact(
    group_id: int, contact_id: int, body: ContactIn, runtime: RuntimeDep
) -> ContactOut:
    with refusals():
        row = await Phonebook(runtime.db).change_contact(group_id, contact_id, _data(body))
    return _contact_out(row)


@router.delete(
    "/phonebook/groups/{group_id}/contacts/{contact_id}",
    summary="Delete a contact",
    status_code=204,
)
async def delete_contact(group_id: int, contact_id: int, runtime: RuntimeDep) -> None:
    with refusals():
        await Phonebook(runtime.db).delete_contact(group_id, contact_id)


@router.get("/phonebook/groups/{group_id}/export.csv", summary="A group as CSV")
async def export_group(group_id: int, runtime: RuntimeDep) -> Response:
    book = Phonebook(runtime.db)
    with refusals():
        group = await book.group(group_id)
        rows = await book.contacts(group_id)
    filename = f"phonebook-{group.id}.csv"
    return Response(
        contacts_csv(rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/phonebook/sync-problems", summary="Helpdesk contacts that could not be synced")
async def list_sync_problems(runtime: RuntimeDep) -> list[SyncProblemOut]:
    async with runtime.db.read() as session:
        problems = await sync_problems(session)
    return [SyncProblemOut.model_validate(p) for p in problems]


async def require_api_token(
    request: Request, runtime: RuntimeDep, token: Annotated[str | None, Query()] = None
) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    value = credential.strip() if scheme.lower() == "bearer" else (token or "")
    if not value.startswith(TOKEN_PREFIX):
        api_error(
            401,
            "an API token is required (Authorization: Bearer dl_… or ?token=dl_…)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    async with runtime.db.read() as session:
        found = await users.token_by_hash(session, token_digest(value))
    if found is None:
        api_error(
            401, "unknown, revoked or expired API token", headers={"WWW-Authenticate": "Bearer"}
        )


@caller_id.get(
    "/caller-id",
    summary="The name of a caller (for PBX dialplans)",
    dependencies=[Depends(require_api_token)],
    response_model=CallerIdOut,
)
async def lookup_caller(
    runtime: RuntimeDep,
    number: Annotated[str, Query(max_length=64)],
    answer_format: Annotated[Literal["json", "text"], Query(alias="format")] = "json",
) -> Response | CallerIdOut:
    lookup = CallerIdLookup(runtime.normaliser)
    async with runtime.db.read() as session:
        found = await lookup.lookup(session, number)
    if answer_format == "text":
        return PlainTextResponse(found.name or "")
    return CallerIdOut(name=found.name, source=found.source, match=found.match)
