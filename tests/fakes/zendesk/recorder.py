"""Every request the emulator received, with secrets masked, for test assertions."""

from __future__ import annotations

import base64
import binascii
import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.zendesk.clock import iso_utc

SECRET_BODY_KEYS = frozenset(
    {"client_secret", "code", "code_verifier", "refresh_token", "access_token", "password"}
)
_DROPPED_HEADERS = frozenset({"cookie"})


def _mask(value: str) -> str:
    return "****" + value[-4:] if len(value) > 8 else "****"


def mask_authorization(value: str) -> str:
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() == "basic":
        try:
            login = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            login = "?"
        return f"Basic {login}:****"
    return f"{scheme} {_mask(credentials)}"


def mask_body(body: Any) -> Any:
    if isinstance(body, dict):
        return {
            k: (_mask(str(v)) if k in SECRET_BODY_KEYS and v is not None else mask_body(v))
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [mask_body(item) for item in body]
    return body


@dataclass
class RecordedRequest:
    id: int
    at: float
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any
    status: int | None = None
    fault: str | None = None
    validation_errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso_utc(self.at),
            "method": self.method,
            "path": self.path,
            "query": [list(p) for p in self.query],
            "headers": dict(self.headers),
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
            "validation_errors": list(self.validation_errors),
        }


class RequestRecorder:
    def __init__(self) -> None:
        self._items: list[RecordedRequest] = []
        self._ids = itertools.count(1)

    def record(
        self,
        at: float,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: Any,
    ) -> RecordedRequest:
        safe_headers = {
            k: (mask_authorization(v) if k == "authorization" else v)
            for k, v in headers.items()
            if k not in _DROPPED_HEADERS
        }
        item = RecordedRequest(
            next(self._ids), at, method, path, query, safe_headers, mask_body(body)
        )
        self._items.append(item)
        return item

    def find(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, oldest first; ``path`` matches exactly or as a prefix ending
        in ``*``."""
        found = list(self._items)
        if method is not None:
            found = [r for r in found if r.method == method.upper()]
        if path is not None:
            if path.endswith("*"):
                found = [r for r in found if r.path.startswith(path[:-1])]
            else:
                found = [r for r in found if r.path == path]
        return found

    def clear(self) -> None:
        self._items.clear()
