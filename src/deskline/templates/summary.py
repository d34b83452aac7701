"""A short description of a template: what `deskline template validate` prints when it is valid."""

from __future__ import annotations

from dataclasses import dataclass

from deskline.templates.model.template import HelpdeskTemplate
from deskline.templates.model.vocabulary import Feature


@dataclass(frozen=True)
class TemplateSummary:
    name: str
    key: str
    version: str
    auth_type: str
    max_concurrent_requests: int
    features: dict[str, bool]
    custom_fields: list[tuple[str, str]]  # (name, editor)
    headers: list[str]
    requests_by_scenario: dict[str, list[str]]
    variables_used: list[str]

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "key": self.key,
            "version": self.version,
            "auth_type": self.auth_type,
            "max_concurrent_requests": self.max_concurrent_requests,
            "features": self.features,
            "custom_fields": [{"name": n, "editor": e} for n, e in self.custom_fields],
            "headers": self.headers,
            "requests_by_scenario": self.requests_by_scenario,
            "variables_used": self.variables_used,
        }


def summarize(template: HelpdeskTemplate, variables_used: frozenset[str]) -> TemplateSummary:
    return TemplateSummary(
        name=template.name or "",
        key=template.key or "",
        version=template.version or "",
        auth_type=template.auth_type or "",
        max_concurrent_requests=template.max_concurrent_requests,
        features={f.value: template.feature_enabled(f) for f in Feature},
        custom_fields=[(f.name, f.editor.value) for f in template.custom_fields],
        headers=[h.name for h in template.default_headers],
        requests_by_scenario={
            s.id or "?": [r.name or "?" for r in s.requests] for s in template.scenarios
        },
        variables_used=sorted(variables_used),
    )
