"""The variables a request is rendered with, and which of them are trusted configuration.

Trusted values (the admin's custom fields, the template's own constants) go into URLs as
entered, so a domain field can hold ``acme.example.com``; every other value (call and contact
data, helpdesk responses, tokens) is escaped for the place it lands in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from deskline.errors import TemplateError, TemplateRenderError
from deskline.templates.expressions import RenderContext, RenderMode, compile_template


@dataclass(frozen=True)
class Scope:
    """Variable values, the names among them that are trusted, and the PBX time zone."""

    values: Mapping[str, object] = field(default_factory=dict)
    trusted: frozenset[str] = frozenset()
    tz: tzinfo = UTC

    def with_values(self, extra: Mapping[str, object], *, trusted: bool = False) -> Scope:
        """A scope where ``extra`` is added (and wins); they are trusted only if said so."""
        names = frozenset(extra)
        return Scope(
            {**self.values, **extra},
            (self.trusted | names) if trusted else (self.trusted - names),
            self.tz,
        )

    def context(self) -> RenderContext:
        return RenderContext(self.values, self.trusted, self.tz)

    def render(self, source: str, mode: RenderMode, where: str) -> str:
        """``source`` rendered for ``mode``; errors name ``where`` (template and request)."""
        try:
            return compile_template(source).render(self.context(), mode)
        except TemplateError as exc:  # also a syntax error that validation would report
            raise TemplateRenderError(f"{where}: {exc}") from None

    def is_constant(self, source: str) -> bool:
        try:
            return compile_template(source).is_constant
        except TemplateError:
            return False
