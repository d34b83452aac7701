"""The call a piece of work belongs to, carried by a context variable into every log line.

::

    with bind_call_id(call.call_id):
        log.info("ticket created")        # the JSON line carries "call_id"

Tasks created inside the block inherit the value (asyncio copies the context).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_call_id: ContextVar[str | None] = ContextVar("deskline_call_id", default=None)


def current_call_id() -> str | None:
    return _call_id.get()


@contextmanager
def bind_call_id(call_id: str | None) -> Iterator[None]:
    """Log lines inside the block carry ``call_id`` (``None``: leave the current one)."""
    if call_id is None:
        yield
        return
    token = _call_id.set(call_id)
    try:
        yield
    finally:
        _call_id.reset(token)


def call_id_of_job(payload: dict[str, object], ordering_key: str | None) -> str | None:
    """The call an outbox job works for: ``payload["call_id"]``, else the last part of an
    ordering key ``call:<source>:<call id>``."""
    value = payload.get("call_id")
    if isinstance(value, str | int) and str(value):
        return str(value)
    if ordering_key and ordering_key.startswith("call:"):
        _, _, rest = ordering_key.partition(":")
        _, _, call_id = rest.partition(":")
        return call_id or None
    return None
