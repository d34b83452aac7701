"""A webhook request body as events, with errors a sender can act on.

- not JSON → :class:`InvalidJson` (HTTP 400) with the line and column;
- JSON that does not follow the schema → :class:`SchemaViolation` (HTTP 422) with each
  problem's field path and message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from deskline.errors import EventPayloadError
from deskline.pbx.webhook.schema import EVENT_ADAPTER, WebhookBatch, WebhookEvent


class InvalidJson(EventPayloadError):
    """The body is not JSON."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line, self.column = line, column


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class SchemaViolation(EventPayloadError):
    """The JSON does not follow the event schema."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems[:5]))
        self.problems = problems


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            exc.lineno,
            exc.colno,
        ) from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise InvalidJson(f"invalid JSON: {type(exc).__name__}") from exc


def _problems(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[Problem]:
    out = []
    for error in exc.errors(include_url=False, include_input=False)[:50]:
        path = ".".join(str(part) for part in (*prefix, *error["loc"])) or "(body)"
        out.append(Problem(path=path[:300], message=str(error["msg"])[:300]))
    return out


def parse_events(body: bytes) -> list[WebhookEvent]:
    """One event or a batch ``{"events": [...]}``, validated."""
    data = load_json(body)
    try:
        if isinstance(data, dict) and "events" in data and "event" not in data:
            return list(WebhookBatch.model_validate(data).events)
        if not isinstance(data, dict):
            raise SchemaViolation(
                [Problem("(body)", 'expected an event object or {"events": [...]}')]
            )
        return [EVENT_ADAPTER.validate_python(data)]
    except ValidationError as exc:
        raise SchemaViolation(_problems(exc)) from None
