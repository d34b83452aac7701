"""A PBX connection's configuration, checked by its kind's pydantic model.

The model decides everything: which fields exist, their defaults and checks, and which are
secrets (the :class:`~pydantic.SecretStr` fields). Secrets are stored encrypted apart from
the rest and never shown again: :func:`public_config` puts :data:`MASK` in their place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from deskline.errors import ConfigurationError
from deskline.pbx.base import adapter_kinds

MASK = "********"


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class InvalidConnectionConfig(ConfigurationError):
    """A connection's config does not satisfy its kind's model; carries every problem."""

    def __init__(self, kind: str, problems: list[ConfigProblem]) -> None:
        self.kind = kind
        self.problems = problems
        listed = "; ".join(f"{p.path}: {p.message}" for p in problems)
        super().__init__(f"invalid {kind} configuration: {listed}")


def config_model(kind: str) -> type[BaseModel]:
    """The config model of a PBX kind; ``LookupError`` for an unknown kind."""
    kinds = adapter_kinds()
    if kind not in kinds:
        raise LookupError(f"unknown PBX kind {kind!r}; known: {', '.join(sorted(kinds))}")
    return kinds[kind]


def secret_fields(model: type[BaseModel]) -> list[str]:
    """The names of the model's secret fields (typed ``SecretStr`` or ``SecretStr | None``)."""
    names = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        members = getattr(annotation, "__args__", (annotation,))
        if SecretStr in members:
            names.append(name)
    return names


def validate_config(kind: str, data: Mapping[str, Any]) -> BaseModel:
    """The validated config, or :class:`InvalidConnectionConfig` listing every problem.

    The messages never include the values given, so a secret cannot leak through an error."""
    model = config_model(kind)
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        problems = [
            ConfigProblem(".".join(str(part) for part in error["loc"]) or "(config)", error["msg"])
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise InvalidConnectionConfig(kind, problems) from None


def split_config(config: BaseModel) -> tuple[dict[str, Any], dict[str, str]]:
    """(the plain part, as JSON; the secrets, in clear) of a validated config.

    Only fields that were given or changed by validation are kept in the plain part, so later
    defaults of a kind still apply to stored connections."""
    secrets_names = secret_fields(type(config))
    plain = config.model_dump(mode="json", exclude_unset=True, exclude=set(secrets_names))
    secrets: dict[str, str] = {}
    for name in secrets_names:
        value = getattr(config, name)
        if isinstance(value, SecretStr):
            secrets[name] = value.get_secret_value()
    return plain, secrets


def public_config(kind: str, config: Mapping[str, Any], secret_names: set[str]) -> dict[str, Any]:
    """The config as the admin API shows it: every secret field masked or null."""
    try:
        names = secret_fields(config_model(kind))
    except LookupError:
        names = []
    shown = {key: value for key, value in config.items() if key not in names}
    for name in names:
        shown[name] = MASK if name in secret_names else None
    return shown


def merge_update(
    current: Mapping[str, Any], changes: Mapping[str, Any], secret_names: list[str]
) -> dict[str, Any]:
    """The full config after a PATCH: secrets sent back as :data:`MASK` keep their value."""
    merged = dict(current)
    for key, value in changes.items():
        if key in secret_names and value == MASK:
            continue
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
