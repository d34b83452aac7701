"""Rows of ``call_actions`` for the direct statement and transaction tests: a table every
dialect has, with JSON, time stamps and a unique key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert

from deskline.store.direct import DirectStatement, bound
from deskline.store.models import CallAction

ACTIONS = cast(Table, CallAction.__table__)
AT = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)

ADD = DirectStatement(
    insert(ACTIONS).values(bound(*(column.key for column in ACTIONS.c if column.key != "id")))
)
"""Adds a row given all its columns (as :func:`action` makes them)."""


def action(key: str, **changes: Any) -> dict[str, Any]:
    """A done action of call ``c1`` with a hostile detail; ``changes`` override columns."""
    return {
        "key": key,
        "source": "pbx",
        "pbx_call_id": "c1",
        "action": key,
        "state": "done",
        "remote_id": None,
        "detail": {"quote": 'it\'s "{{ x }}"\r\n', "n": 1},
        "created_at": AT,
        "updated_at": AT,
    } | changes
