"""The template of a connection, bundled or custom, loaded once per version."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.errors import ConfigurationError, TemplateError
from deskline.store.repositories import templates as rows
from deskline.templates.builtin import builtin_template_keys, load_builtin_template
from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.validation import load_valid_template

BUNDLED_VERSION = "bundled"


@dataclass(frozen=True)
class LoadedTemplate:
    """A template and its version (``bundled`` or the custom row's ``updated_at``)."""

    key: str
    version: str
    template: HelpdeskTemplate


@lru_cache(maxsize=16)
def _bundled(key: str) -> HelpdeskTemplate:
    return load_builtin_template(key)


@lru_cache(maxsize=32)
def _custom(key: str, version: str, xml: str) -> HelpdeskTemplate:
    return load_valid_template(xml, f"{key}.xml")


async def load_template(session: AsyncSession, key: str) -> LoadedTemplate:
    """The template ``key``; :class:`ConfigurationError` if it is unknown or now invalid."""
    try:
        if key in builtin_template_keys():
            return LoadedTemplate(key, BUNDLED_VERSION, _bundled(key))
        row = await rows.get_template(session, key)
        if row is None:
            raise ConfigurationError(f"no helpdesk template with key {key[:64]!r}")
        version = row.updated_at.isoformat()
        return LoadedTemplate(key, version, _custom(key, version, row.xml))
    except TemplateError as exc:
        raise ConfigurationError(f"the helpdesk template {key!r} cannot be used: {exc}") from None
