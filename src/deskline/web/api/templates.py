"""Helpdesk templates (``/api/templates``): bundled ones listed read-only, up to 10 custom ones.

Uploads are ``multipart/form-data`` with the XML in the field ``file`` and an optional logo
(PNG, JPG or JPEG, at most 500 KB, checked by content) in ``logo``. An invalid template is
answered 422 with every problem (line, column, element path, message) the validator found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from deskline.web.auth.guard import require_admin
from deskline.web.deps import RuntimeDep
from deskline.web.errors import api_error
from deskline.web.logo_files import MAX_LOGO_BYTES, InvalidLogo, Logo, check_logo
from deskline.web.template_catalog import (
    MAX_TEMPLATE_BYTES,
    CatalogError,
    TemplateCatalog,
    TemplateEntry,
)

router = APIRouter(
    prefix="/api/templates", tags=["templates"], dependencies=[Depends(require_admin)]
)


class TemplateOut(BaseModel):
    key: str
    name: str
    bundled: bool
    read_only: bool
    has_logo: bool
    created_at: datetime | None
    updated_at: datetime | None


class TemplateDetail(TemplateOut):
    summary: dict[str, Any]
    warnings: list[dict[str, object]]
    model: dict[str, Any]


def _out(entry: TemplateEntry) -> TemplateOut:
    return TemplateOut(
        key=entry.key,
        name=entry.name,
        bundled=entry.bundled,
        read_only=entry.bundled,
        has_logo=entry.has_logo,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def _detail(entry: TemplateEntry) -> TemplateDetail:
    report = entry.load()
    template = entry.template()
    return TemplateDetail(
        **_out(entry).model_dump(),
        summary=report.summary.as_dict() if report.summary else {},
        warnings=[problem.as_dict() for problem in report.warnings],
        model=template.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def _refuse(exc: CatalogError) -> NoReturn:
    problems = [problem.as_dict() for problem in exc.problems]
    if problems:
        api_error(exc.status, exc.message, problems=problems)
    api_error(exc.status, exc.message)


def _catalog(runtime: RuntimeDep) -> TemplateCatalog:
    return TemplateCatalog(runtime.db)


CatalogDep = Annotated[TemplateCatalog, Depends(_catalog)]


async def _read(upload: UploadFile, limit: int, what: str) -> bytes:
    content = await upload.read(limit + 1)
    if len(content) > limit:
        api_error(413, f"the {what} is larger than {limit // 1024} KB")
    return content


async def _logo(logo: UploadFile | None) -> Logo | None:
    if logo is None or not logo.filename:
        return None
    content = await _read(logo, MAX_LOGO_BYTES, "logo")
    try:
        return check_logo(logo.filename, content)
    except InvalidLogo as exc:
        api_error(422, str(exc))


@router.get("", summary="Bundled and custom templates")
async def list_templates(catalog: CatalogDep) -> list[TemplateOut]:
    return [_out(entry) for entry in await catalog.list()]


@router.post("", summary="Upload a custom template (and its logo)", status_code=201)
async def upload_template(
    catalog: CatalogDep,
    file: Annotated[UploadFile, File(description="The template XML.")],
    logo: Annotated[UploadFile | None, File(description="PNG, JPG or JPEG, ≤ 500 KB.")] = None,
) -> TemplateDetail:
    content = await _read(file, MAX_TEMPLATE_BYTES, "template")
    try:
        entry = await catalog.add(content, file.filename or "template.xml", await _logo(logo))
    except CatalogError as exc:
        _refuse(exc)
    return _detail(entry)


@router.get("/{key}", summary="A template's summary and model")
async def get_template(key: str, catalog: CatalogDep) -> TemplateDetail:
    try:
        return _detail(await catalog.get(key))
    except CatalogError as exc:
        _refuse(exc)


@router.get(
    "/{key}/export",
    summary="The template as XML",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def export_template(key: str, catalog: CatalogDep) -> Response:
    try:
        entry = await catalog.get(key)
    except CatalogError as exc:
        _refuse(exc)
    return Response(
        entry.export(),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{entry.key}.xml"'},
    )


@router.get(
    "/{key}/logo",
    summary="A custom template's logo",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}},
)
async def template_logo(key: str, catalog: CatalogDep) -> Response:
    try:
        logo = await catalog.logo(key)
    except CatalogError as exc:
        _refuse(exc)
    return Response(logo.content, media_type=logo.media_type)


@router.put("/{key}", summary="Replace a custom template (same validation)")
async def replace_template(
    key: str,
    catalog: CatalogDep,
    file: Annotated[UploadFile, File(description="The template XML.")],
    logo: Annotated[
        UploadFile | None, File(description="A new logo (else the old one stays).")
    ] = None,
) -> TemplateDetail:
    content = await _read(file, MAX_TEMPLATE_BYTES, "template")
    try:
        entry = await catalog.replace(
            key, content, file.filename or f"{key}.xml", await _logo(logo)
        )
    except CatalogError as exc:
        _refuse(exc)
    return _detail(entry)


@router.delete("/{key}", summary="Delete a custom template", status_code=204)
async def delete_template(key: str, catalog: CatalogDep) -> None:
    try:
        await catalog.delete(key)
    except CatalogError as exc:
        _refuse(exc)
