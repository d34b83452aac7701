"""Zendesk's error bodies, raised from anywhere in a handler and turned into responses."""

from __future__ import annotations

from typing import Any

FORBIDDEN_DESCRIPTION = (
    "You do not have access to this page. Please contact the account owner of this help desk "
    "for further help."
)
INVALID_TOKEN_DESCRIPTION = (
    "The access token provided is expired, revoked, malformed or invalid for other reasons."
)


class ZendeskError(Exception):
    """An HTTP error answered with a JSON body in Zendesk's shape (``body=None``: empty body)."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any] | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def record_not_found() -> ZendeskError:
    return ZendeskError(404, {"error": "RecordNotFound", "description": "Not found"})


def invalid_endpoint() -> ZendeskError:
    return ZendeskError(404, {"error": "InvalidEndpoint", "description": "Not found"})


def record_invalid(field: str, description: str) -> ZendeskError:
    """422 ``RecordInvalid`` with one field's error, as Zendesk's validation answers."""
    return ZendeskError(
        422,
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {field: [{"description": description, "error": "InvalidValue"}]},
        },
    )


def bad_request(error: str, description: str) -> ZendeskError:
    return ZendeskError(400, {"error": error, "description": description})


def forbidden() -> ZendeskError:
    return ZendeskError(403, {"error": "Forbidden", "description": FORBIDDEN_DESCRIPTION})


def invalid_token() -> ZendeskError:
    return ZendeskError(
        401,
        {"error": "invalid_token", "error_description": INVALID_TOKEN_DESCRIPTION},
        {"WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token"'},
    )


def not_authenticated() -> ZendeskError:
    return ZendeskError(401, {"error": "Couldn't authenticate you"})
