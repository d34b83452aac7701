"""The templates an admin can use: bundled ones (read-only) and up to 10 custom ones.

A custom template is stored as the XML that was uploaded (after validation refuses any
error) plus its optional logo. Exporting gives the template back in the canonical XML the
dumper writes, which loads into the same model (round-trip stable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from deskline.store.db import Database
from deskline.store.models import CustomTemplate
from deskline.store.repositories import templates as rows
from deskline.templates import dump_template
from deskline.templates.builtin import builtin_template_paths
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.problems import Problem
from deskline.templates.validation import ValidationReport, validate_source
from deskline.web.logo_files import Logo

MAX_CUSTOM_TEMPLATES = 10
MAX_TEMPLATE_BYTES = 1_000_000


class CatalogError(Exception):
    """A template operation refused; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class TemplateEntry:
    key: str
    name: str
    bundled: bool
    xml: str
    has_logo: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    report: ValidationReport | None = field(default=None, compare=False)

    def load(self) -> ValidationReport:
        return self.report or validate_source(self.xml, f"{self.key}.xml")

    def template(self) -> HelpdeskTemplate:
        template = self.load().template
        assert template is not None  # stored templates were valid
        return template

    def export(self) -> str:
        return dump_template(self.template())


def _bundled() -> dict[str, Path]:
    return {path.stem: path for path in builtin_template_paths()}


def bundled_entries() -> list[TemplateEntry]:
    entries = []
    for key, path in sorted(_bundled().items()):
        xml = path.read_text(encoding="utf-8")
        report = validate_source(xml, path.name)
        name = report.template.name if report.template and report.template.name else key
        entries.append(TemplateEntry(key, name or key, True, xml, report=report))
    return entries


def validated(content: bytes, filename: str) -> tuple[str, ValidationReport]:
    """(the XML text, its report) of an upload without errors, or a 422 CatalogError."""
    if len(content) > MAX_TEMPLATE_BYTES:
        raise CatalogError(413, f"the template is larger than {MAX_TEMPLATE_BYTES} bytes")
    report = validate_source(content, filename)
    if not report.ok or report.template is None:
        raise CatalogError(422, f"the template {filename[:100]!r} is invalid", report.errors)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = dump_template(report.template)  # another declared encoding: keep the model
    if not report.template.key:
        raise CatalogError(422, "the template needs a Key attribute on <Information>")
    return text, report


class TemplateCatalog:
    """Reads and changes the templates (bundled from the package, custom in the database)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self) -> list[TemplateEntry]:
        async with self.db.read() as session:
            custom = await rows.list_templates(session)
        return bundled_entries() + [self._entry(row) for row in custom]

    async def get(self, key: str) -> TemplateEntry:
        path = _bundled().get(key)
        if path is not None:
            return next(entry for entry in bundled_entries() if entry.key == key)
        async with self.db.read() as session:
            row = await rows.get_template(session, key)
        if row is None:
            raise CatalogError(404, f"no template with key {key[:64]!r}")
        return self._entry(row)

    async def logo(self, key: str) -> Logo:
        async with self.db.read() as session:
            row = await rows.get_template(session, key)
        if row is None or row.logo is None or row.logo_media_type is None:
            raise CatalogError(404, f"the template {key[:64]!r} has no logo")
        return Logo(row.logo, row.logo_media_type)

    async def add(self, content: bytes, filename: str, logo: Logo | None) -> TemplateEntry:
        text, report = validated(content, filename)
        template = report.template
        assert template is not None and template.key
        key = template.key
        if key in _bundled():
            raise CatalogError(409, f"{key!r} is the key of a bundled template; use another Key")
        async with self.db.transaction() as session:
            await rows.lock_templates(session)
            if await rows.get_template(session, key) is not None:
                raise CatalogError(
                    409, f"a custom template with key {key!r} exists; replace it with PUT"
                )
            if await rows.count_templates(session) >= MAX_CUSTOM_TEMPLATES:
                raise CatalogError(
                    409,
                    f"there are already {MAX_CUSTOM_TEMPLATES} custom templates, the most "
                    "deskline keeps; delete one first",
                )
            row = await rows.add_template(
                session,
                key=key,
                name=template.name or key,
                xml=text,
                logo=logo.content if logo else None,
                logo_media_type=logo.media_type if logo else None,
            )
            return self._entry(row, report)

    async def replace(
        self, key: str, content: bytes, filename: str, logo: Logo | None
    ) -> TemplateEntry:
        if key in _bundled():
            raise CatalogError(403, f"{key!r} is a bundled template: it cannot be replaced")
        text, report = validated(content, filename)
        template = report.template
        assert template is not None
        if template.key != key:
            raise CatalogError(
                422, f"the file's Key is {template.key!r}, not {key!r}: keys cannot change"
            )
        async with self.db.transaction() as session:
            try:
                row = await rows.replace_template(
                    session,
                    key,
                    name=template.name or key,
                    xml=text,
                    logo=logo.content if logo else None,
                    logo_media_type=logo.media_type if logo else None,
                )
            except LookupError as exc:
                raise CatalogError(404, str(exc)) from None
            return self._entry(row, report)

    async def delete(self, key: str) -> None:
        if key in _bundled():
            raise CatalogError(403, f"{key!r} is a bundled template: it cannot be deleted")
        async with self.db.transaction() as session:
            if not await rows.delete_template(session, key):
                raise CatalogError(404, f"no custom template with key {key[:64]!r}")

    @staticmethod
    def _entry(row: CustomTemplate, report: ValidationReport | None = None) -> TemplateEntry:
        return TemplateEntry(
            key=row.key,
            name=row.name,
            bundled=False,
            xml=row.xml,
            has_logo=row.logo is not None,
            created_at=row.created_at,
            updated_at=row.updated_at,
            report=report,
        )
