"""One logging setup for ``deskline serve`` and ``deskline worker``.

:func:`configure_logging` sends every log record (deskline's, uvicorn's, SQLAlchemy's) to
standard error as one line each:

- ``json`` (default): ``{"ts": "2025-01-31T09:15:02.114Z", "level": "INFO", "logger":
  "deskline.outbox.worker", "message": "…", "call_id": "1706…"}``, plus ``exc`` for an
  exception and any ``extra={...}`` fields;
- ``text``: ``2025-01-31T09:15:02.114Z INFO deskline.outbox.worker call_id=… message="…"``.

Secrets are masked in the message, the exception text and the extra fields
(:mod:`deskline.observability.masking`); the settings' own secrets are registered first.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from deskline.crypto import mask
from deskline.observability.context import current_call_id
from deskline.observability.masking import is_secret_name, mask_secrets, register_secrets
from deskline.settings import Settings

_HANDLER_NAME = "deskline"
ACCESS_LOGGER = "uvicorn.access"
_QUIET_LOGGERS = {"httpx": logging.WARNING, "httpcore": logging.WARNING}
#: attributes every LogRecord has; anything else came with ``extra=``
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))
) | {"message", "asctime", "call_id", "taskName"}


class SecretMaskingFilter(logging.Filter):
    """Replaces a record's message with its masked text (for handlers deskline does not own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-arguments: log what there is rather than fail the caller
            message = f"{record.msg!s} (unformattable arguments)"
        record.msg = mask_secrets(message)
        record.args = None
        return True


class PbxEventPostsFilter(logging.Filter):
    """Drops uvicorn's access-log lines of PBX event posts answered 2xx (a few per call, at a
    busy call centre most of the log); the failed ones, and every other request, stay."""

    PATHS = ("/webhooks/pbx/", "/webhooks/pseries/")

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client address, method, path and query, HTTP version,
        # status code)
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        _client, method, path, _version, status = args
        return not (
            method == "POST"
            and isinstance(path, str)
            and path.startswith(self.PATHS)
            and isinstance(status, int)
            and 200 <= status < 300
        )


class _LineFormatter(logging.Formatter):
    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
        }
        call_id = getattr(record, "call_id", None) or current_call_id()
        if call_id:
            fields["call_id"] = str(call_id)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                fields[key] = _masked_extra(key, value)
        if record.exc_info:
            fields["exc"] = mask_secrets(self.formatException(record.exc_info))
        elif record.exc_text:
            fields["exc"] = mask_secrets(record.exc_text)
        if record.stack_info:
            fields["stack"] = mask_secrets(self.formatStack(record.stack_info))
        return fields


class JsonLineFormatter(_LineFormatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), ensure_ascii=False, default=str)


class KeyValueFormatter(_LineFormatter):
    """``<ts> <LEVEL> <logger> key=value … message="…"`` (exception on the following lines)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        head = f"{fields.pop('ts')} {fields.pop('level')} {fields.pop('logger')}"
        exc = fields.pop("exc", None)
        message = fields.pop("message")
        pairs = [f"{k}={_kv(v)}" for k, v in fields.items()]
        line = " ".join([head, *pairs, f"message={_kv(message)}"])
        return f"{line}\n{exc}" if exc else line


def _timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _masked_extra(key: str, value: object) -> object:
    if is_secret_name(key) and value not in (None, ""):
        return mask(str(value))
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask_secrets(str(value))


def _kv(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return json.dumps(text, ensure_ascii=False)


def settings_secrets(settings: Settings) -> list[str | None]:
    """The secret values in the settings (they must never appear in a log line)."""
    values: list[str | None] = []
    for name in ("secret_key", "admin_password", "metrics_token"):
        secret = getattr(settings, name, None)
        if secret is not None:
            values.append(secret.get_secret_value())
    for url in (settings.database_url, settings.redis_url):
        values.append(_url_password(url))
    return values


def _url_password(url: str | None) -> str | None:
    if not url or "@" not in url or "://" not in url:
        return None
    userinfo = url.split("://", 1)[1].rsplit("@", 1)[0]
    return userinfo.partition(":")[2] or None


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Install deskline's handler on the root logger (replacing one installed before)."""
    register_secrets(settings_secrets(settings))
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    text = settings.log_format == "text"
    handler.setFormatter(KeyValueFormatter() if text else JsonLineFormatter())
    handler.addFilter(SecretMaskingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME or _is_default_stream_handler(existing):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name, level in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, root.level))
    access = logging.getLogger(ACCESS_LOGGER)
    for installed in list(access.filters):
        if isinstance(installed, PbxEventPostsFilter):
            access.removeFilter(installed)
    if not settings.access_log_pbx_events:
        access.addFilter(PbxEventPostsFilter())
    return handler


def _is_default_stream_handler(handler: logging.Handler) -> bool:
    """A handler ``logging.basicConfig`` installed (plain stream handler, no name)."""
    return type(handler) is logging.StreamHandler and not handler.get_name()
