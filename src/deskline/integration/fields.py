"""The connect form's field values, checked against the template's custom fields."""

from __future__ import annotations

from collections.abc import Mapping

from deskline.integration.problems import IntegrationError
from deskline.integration.template_source import LoadedTemplate
from deskline.templates.model import Editor


def split_fields(
    loaded: LoadedTemplate, given: Mapping[str, object]
) -> tuple[dict[str, str], dict[str, str]]:
    """(plain, secret) field values checked against the template's custom fields."""
    fields = {f.name: f for f in loaded.template.custom_fields}
    problems = [
        {"path": f"fields.{name}", "message": f"the template {loaded.key!r} has no field {name!r}"}
        for name in given
        if name not in fields
    ]
    plain: dict[str, str] = {}
    secret: dict[str, str] = {}
    for name, field in fields.items():
        raw = given.get(name)
        value = "" if raw is None else str(raw).strip()
        if not value and field.default:
            value = field.default
        if not value:
            if field.required and name != "AccessToken":
                title = f" ({field.title})" if field.title else ""
                problems.append({"path": f"fields.{name}", "message": f"{name}{title} is required"})
            continue
        if field.editor is Editor.SELECT and field.options and value not in field.options:
            problems.append(
                {
                    "path": f"fields.{name}",
                    "message": f"{name} must be one of: " + ", ".join(field.options),
                }
            )
        (secret if field.is_secret else plain)[name] = value
    if problems:
        raise IntegrationError(422, "the connection fields are invalid", problems)
    return plain, secret
