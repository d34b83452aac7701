"""Typed views of a template's auth settings, custom fields and headers, for the runtime.

Each view reads the faithful nodes and turns strings into enums, ints and bools. Views are
lenient (an unreadable value becomes the documented default); :mod:`deskline.templates.validation`
is what reports such values, so run it before trusting a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from deskline.templates.model.nodes import Parameter, Scenario
from deskline.templates.model.vocabulary import (
    DEFAULT_REFRESH_INTERVAL_MINUTES,
    AuthType,
    CredentialType,
    Editor,
    HttpMethod,
    ParameterFather,
    ParameterType,
    TokenContentType,
)

E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], value: str | None) -> E | None:
    """``value`` as a member of ``kind``, or ``None`` when absent, empty or unknown."""
    if not value:
        return None
    try:
        return kind(value.strip())
    except ValueError:
        return None


def parse_int(value: str | None) -> int | None:
    """An integer setting; ``None`` when absent, empty or not an integer."""
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class CustomField:
    """A value the admin enters when connecting (``Father="CustomFieldList"``)."""

    name: str
    key: str
    title: str
    editor: Editor
    options: tuple[str, ...] = ()
    required: bool = True
    default: str | None = None

    @property
    def is_secret(self) -> bool:
        return self.editor is Editor.PASSWORD

    @classmethod
    def of(cls, parameter: Parameter) -> CustomField:
        name = parameter.name or ""
        options = tuple(o.strip() for o in (parameter.options or "").split(",") if o.strip())
        return cls(
            name=name,
            key=parameter.key or name,
            title=parameter.title or name,
            editor=parse_enum(Editor, parameter.editor) or Editor.STRING,
            options=options,
            required=(parameter.required or "1").strip() != "0",
            default=parameter.default,
        )


@dataclass(frozen=True)
class HeaderTemplate:
    """A header sent with every scenario request.

    From ``<Parameter Father="PopulateTemplateString" Type="Header">`` in AuthMethod.
    """

    name: str
    value: str
    description: str | None = None


@dataclass(frozen=True)
class TokenErrorCode:
    """``Father="TokenErrorMap"``: an error code of the helpdesk and what it means."""

    meaning: str
    code: str


@dataclass(frozen=True)
class RefreshSettings:
    """How the OAuth2 access token is refreshed."""

    method: HttpMethod = HttpMethod.POST
    endpoint: str | None = None
    content_type: TokenContentType = TokenContentType.FORM
    #: minutes between refreshes; ``None`` = never refresh on a timer ("0" in the template).
    interval_minutes: int | None = DEFAULT_REFRESH_INTERVAL_MINUTES
    body: str | None = None


@dataclass(frozen=True)
class AuthSettings:
    """The parameters of the AuthMethod scenario."""

    method: AuthType
    token_type: str = "Bearer"
    auth_endpoint: str | None = None
    token_endpoint: str | None = None
    token_content_type: TokenContentType = TokenContentType.FORM
    additional_query_string: str | None = None
    scope: str | None = None
    credential_type: CredentialType | None = None
    base64_encoded_credential: str | None = None
    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    no_need_refresh_access_token: bool = False
    pkce: str | None = None
    token_errors: tuple[TokenErrorCode, ...] = ()

    @classmethod
    def of(cls, scenario: Scenario | None, root_auth_type: AuthType | None) -> AuthSettings:
        """The auth settings; the root ``AuthType`` wins when the parameter is absent."""
        if scenario is None:
            return cls(method=root_auth_type or AuthType.NONE)
        method = parse_enum(AuthType, scenario.setting("AuthMethod")) or root_auth_type
        interval = scenario.setting("RefreshTokenInterval")
        parsed_interval = parse_int(interval)
        refresh = RefreshSettings(
            method=parse_enum(HttpMethod, scenario.setting("RefreshTokenMethod"))
            or HttpMethod.POST,
            endpoint=scenario.setting("RefreshTokenEndPoint") or None,
            content_type=parse_enum(TokenContentType, scenario.setting("RefreshTokenContentType"))
            or TokenContentType.FORM,
            interval_minutes=(
                DEFAULT_REFRESH_INTERVAL_MINUTES
                if parsed_interval is None
                else (parsed_interval or None)
            ),
            body=scenario.setting("RefreshTokenBody") or None,
        )
        errors = tuple(
            TokenErrorCode(meaning=p.type or p.name or "", code=p.value or "")
            for p in scenario.parameters_of(ParameterFather.TOKEN_ERROR_MAP)
        )
        return cls(
            method=method or AuthType.NONE,
            token_type=scenario.setting("TokenType") or "Bearer",
            auth_endpoint=scenario.setting("AuthEndPoint") or None,
            token_endpoint=scenario.setting("TokenEndPoint") or None,
            token_content_type=parse_enum(TokenContentType, scenario.setting("TokenContentType"))
            or TokenContentType.FORM,
            additional_query_string=scenario.setting("AdditionalQueryString") or None,
            scope=scenario.setting("Scope") or None,
            credential_type=parse_enum(CredentialType, scenario.setting("CredentialType")),
            base64_encoded_credential=scenario.setting("Base64EncodedCredential") or None,
            refresh=refresh,
            no_need_refresh_access_token=scenario.flag("NoNeedRefreshAccessToken"),
            pkce=scenario.setting("PKCE") or None,
            token_errors=errors,
        )


def header_templates(scenario: Scenario | None) -> list[HeaderTemplate]:
    """The default headers of a template (from its AuthMethod scenario)."""
    if scenario is None:
        return []
    return [
        HeaderTemplate(name=p.name or "", value=p.value or "", description=p.description)
        for p in scenario.parameters_of(ParameterFather.POPULATE_TEMPLATE_STRING)
        if p.type == ParameterType.HEADER
    ]
