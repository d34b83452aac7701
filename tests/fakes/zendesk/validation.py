"""OpenAPI validation of what passes through the emulator, against Zendesk's official subset.

Requests to the operations in ``zendesk/oas-subset.yaml`` are checked with openapi-core
(parameters and bodies); responses too, where the subset defines them. The subset's known
gaps (helpdesk-apis.md §1.10) are handled here, each one named:

* no request body schema for ``POST /oauth/tokens`` and ``POST /users/{id}/identities``:
  validated against small schemas written from the prose (:data:`PROSE_SCHEMAS`);
* fields that Zendesk returns as null but the subset does not mark nullable
  (:data:`DOCUMENTED_NULLS`, :data:`OBSERVED_NULLS`) are made nullable for response
  validation only, and a nullable ``enum`` accepts null;
* ``ListUsers``' ``page`` parameter (``oneOf`` integer / deepObject) cannot be deserialized by
  openapi-core, so it is checked by hand (:func:`_page_parameter_issues`);
* the spec's ``basicAuth`` security is not checked here: the emulator authenticates itself;
* form-encoded bodies are validated as the JSON they stand for (see ``form_body``).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.testing import MockResponse
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.fakes.zendesk.records import IDENTITY_TYPES

_REPO_ROOT = Path(__file__).resolve().parents[3]
SERVER_URL = "https://example.zendesk.com"  # the subset's server template, for path finding

#: Response fields the subset does not mark nullable although Zendesk returns null (§1.10).
DOCUMENTED_NULLS: tuple[tuple[str, str], ...] = (
    ("UserForAdmin", "alias"),
    ("UserForEndUser", "organization_id"),
    ("TicketObject", "description"),
    ("OAuthTokenForGrantTypesObject", "expires_in"),
)
#: More of the same, not listed in §1.10, that Zendesk returns as null for ordinary records
#: (an end-user without e-mail, an agent who never signed in, a ticket without a rating).
OBSERVED_NULLS: tuple[tuple[str, str], ...] = (
    ("UserForAdmin", "email"),
    ("UserForAdmin", "default_group_id"),
    ("UserForAdmin", "last_login_at"),
    ("UserForAdmin", "signature"),
    ("UserForEndUser", "email"),
    ("UserForEndUser", "photo"),
    ("UserForEndUser", "shared_phone_number"),
    ("TicketObject", "forum_topic_id"),
    ("TicketObject", "recipient"),
    ("TicketObject", "satisfaction_rating"),
)

PROSE_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/oauth/tokens"): {
        "type": "object",
        "required": ["grant_type", "client_id"],
        "properties": {
            "grant_type": {"enum": ["authorization_code", "refresh_token", "client_credentials"]},
            "code": {"type": "string"},
            "redirect_uri": {"type": "string"},
            "code_verifier": {"type": "string"},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
            "scope": {"type": "string"},
            "refresh_token": {"type": "string"},
            "expires_in": {"type": "integer"},
            "refresh_token_expires_in": {"type": "integer"},
        },
        "allOf": [
            {
                "if": {"properties": {"grant_type": {"const": "authorization_code"}}},
                "then": {"required": ["code", "redirect_uri"]},
            },
            {
                "if": {"properties": {"grant_type": {"const": "refresh_token"}}},
                "then": {"required": ["refresh_token"]},
            },
        ],
    },
    ("POST", "/api/v2/users/{user_id}/identities"): {
        "type": "object",
        "required": ["identity"],
        "properties": {
            "identity": {
                "type": "object",
                "required": ["type", "value"],
                "properties": {
                    "type": {"enum": list(IDENTITY_TYPES)},
                    "value": {"type": "string"},
                    "primary": {"type": "boolean"},
                    "verified": {"type": "boolean"},
                },
            }
        },
    },
}


@dataclass(frozen=True)
class ValidationIssue:
    """One mismatch between a request (or response) and the OpenAPI subset."""

    direction: str  # "request" or "response"
    method: str
    path: str
    operation: str | None
    location: str  # body, query, path, header, status
    message: str
    details: tuple[str, ...] = ()
    request_id: int | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "method": self.method,
            "path": self.path,
            "operation": self.operation,
            "location": self.location,
            "message": self.message,
            "details": list(self.details),
            "request_id": self.request_id,
        }


def default_spec_path() -> Path:
    reference = os.environ.get("DESKLINE_REFERENCE_DIR")
    base = Path(reference) if reference else _REPO_ROOT.parent / "shared" / "reference"
    return base / "zendesk" / "oas-subset.yaml"


@dataclass(frozen=True)
class Operation:
    template: str
    operation_id: str
    pattern: re.Pattern[str]


class OpenApiValidator:
    """Checks requests and responses against the subset (built once per spec file)."""

    def __init__(self, spec_path: Path | None = None) -> None:
        self.spec_path = spec_path or default_spec_path()
        self._requests, self._responses, self._operations = _load(str(self.spec_path))

    def operation(self, method: str, path: str) -> Operation | None:
        for operation in self._operations.get(method.upper(), []):
            if operation.pattern.fullmatch(path):
                return operation
        return None

    def request_issues(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        json_body: bytes | None,
    ) -> list[ValidationIssue]:
        """Mismatches of one request; ``json_body`` is the body as JSON bytes (or None)."""
        method = method.upper()
        operation = self.operation(method, path)
        if operation is None:
            return []
        issue = functools.partial(ValidationIssue, "request", method, path, operation.operation_id)
        issues: list[ValidationIssue] = []
        prose = PROSE_SCHEMAS.get((method, operation.template))
        if prose is not None:
            body = _parse_json(json_body)
            if body is _INVALID:
                return [issue("body", "the body is not JSON")]
            issues += [
                issue("body", "Request body validation error", d) for d in _errors(prose, body)
            ]
        if operation.operation_id == "ListUsers":
            issues += [issue("query", m) for m in _page_parameter_issues(query)]
            query = [(k, v) for k, v in query if not (k == "page" or k.startswith("page["))]
        request = _Request(method, path, query, headers, json_body or b"")
        for error in self._requests.iter_request_errors(request):
            message = str(error).split(": Value")[0]
            issues.append(issue(_location(error), message, _causes(error)))
        return issues

    def response_issues(
        self, method: str, path: str, status: int, content_type: str, body: bytes
    ) -> list[ValidationIssue]:
        """Mismatches of a successful JSON response (errors are not described by the subset)."""
        method = method.upper()
        operation = self.operation(method, path)
        if operation is None or status >= 400 or not body:
            return []
        request = _Request(method, path, [], {}, b"")
        response = MockResponse(body, status, content_type=content_type.split(";")[0])
        return [
            ValidationIssue(
                "response",
                method,
                path,
                operation.operation_id,
                _location(error),
                f"Response does not match the subset ({type(error).__name__})",
                _causes(error),
            )
            for error in self._responses.iter_response_errors(request, response)
        ]


class _Invalid:
    pass


_INVALID = _Invalid()


def _parse_json(body: bytes | None) -> Any:
    if not body:
        return {}
    try:
        return json.loads(body)
    except ValueError:
        return _INVALID


def _errors(schema: dict[str, Any], instance: Any) -> Iterable[tuple[str, ...]]:
    for error in Draft7Validator(schema).iter_errors(instance):
        yield (_describe(error),)


def _describe(error: ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"


def _causes(error: BaseException) -> tuple[str, ...]:
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or ()
    described = tuple(_describe(e) for e in schema_errors)
    return described or ((str(cause),) if cause is not None else ())


def _location(error: BaseException) -> str:
    name = type(error).__name__
    if "Body" in name or "Data" in name:
        return "body"
    if "ResponseNotFound" in name or "Status" in name:
        return "status"
    text = str(error).lower()
    for location in ("query", "path", "header", "cookie"):
        if location in text:
            return location
    return "request"


def _page_parameter_issues(query: list[tuple[str, str]]) -> list[str]:
    issues = []
    for key, value in query:
        if key == "page" and not value.isdigit():
            issues.append(f"page: {value!r} is not a non-negative integer")
        elif key == "page[size]" and (not value.isdigit() or int(value) < 1):
            issues.append(f"page[size]: {value!r} is not an integer >= 1")
        elif key.startswith("page[") and key not in ("page[size]", "page[after]", "page[before]"):
            issues.append(f"{key}: unknown cursor pagination parameter")
    return issues


class _Request:
    """The request as openapi-core sees it (a host from the subset's server template)."""

    def __init__(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        self.host_url = SERVER_URL
        self.path = path
        self.method = method.lower()
        self.body = body
        self.content_type = "application/json"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(list(headers.items())),
            cookie=ImmutableMultiDict(),
        )


def _allow_null_in_nullable_enums(node: Any) -> None:
    """``nullable: true`` with an ``enum`` lacking null (TicketObject.priority, .type):
    OpenAPI 3.0 is ambiguous there and the validator rejects null; Zendesk returns null."""
    if isinstance(node, dict):
        enum = node.get("enum")
        if node.get("nullable") is True and isinstance(enum, list) and None not in enum:
            node["enum"] = [*enum, None]
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for item in node:
            _allow_null_in_nullable_enums(item)


@functools.lru_cache(maxsize=4)
def _load(spec_path: str) -> tuple[OpenAPI, OpenAPI, dict[str, list[Operation]]]:
    with open(spec_path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    spec.pop("security", None)
    for item in spec["paths"].values():
        for method in ("get", "post", "put"):
            operation = item.get(method)
            if operation is not None and operation.get("operationId") == "ListUsers":
                operation["parameters"] = [
                    p
                    for p in operation["parameters"]
                    if p.get("$ref") != "#/components/parameters/DualPaginationPage"
                ]
    response_spec = copy.deepcopy(spec)
    schemas = response_spec["components"]["schemas"]
    for schema_name, property_name in DOCUMENTED_NULLS + OBSERVED_NULLS:
        schemas[schema_name]["properties"][property_name]["nullable"] = True
    _allow_null_in_nullable_enums(response_spec)
    operations: dict[str, list[Operation]] = {}
    for template, item in spec["paths"].items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)))
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                operations.setdefault(method.upper(), []).append(
                    Operation(template, operation["operationId"], pattern)
                )
    # Literal paths first, so /users/search is not taken for /users/{user_id}.
    for candidates in operations.values():
        candidates.sort(key=lambda o: o.template.count("{"))
    return OpenAPI.from_dict(spec), OpenAPI.from_dict(response_spec), operations
