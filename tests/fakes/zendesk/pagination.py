"""Zendesk's two pagination styles: offset (``page``/``per_page``, ``next_page``) and cursor
(``page[size]``/``page[after]``, ``meta``/``links``). Links point back at the emulator, with
the ``.json`` suffix Zendesk uses."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

from tests.fakes.zendesk.errors import bad_request

MAX_PAGE_SIZE = 100


class HasId(Protocol):
    @property
    def id(self) -> int: ...


Query = list[tuple[str, str]]
Render = Callable[[Any], dict[str, Any]]


def wants_cursor(query: Query) -> bool:
    return any(key.startswith("page[") for key, _ in query)


def _first(query: Query, key: str) -> str | None:
    return next((value for k, value in query if k == key), None)


def _int_param(query: Query, key: str, default: int, minimum: int) -> int:
    raw = _first(query, key)
    if raw is None:
        return default
    if not raw.strip().lstrip("-").isdigit() or int(raw) < minimum:
        raise bad_request("InvalidPaginationParameter", f"{key} must be an integer >= {minimum}")
    return int(raw)


def _url(base: str, path: str, query: Query, replace: dict[str, str]) -> str:
    kept = [(k, v) for k, v in query if k not in replace and not k.startswith("page")]
    params = kept + list(replace.items())
    return f"{base}{path}.json?{urlencode(params, safe='[]:*')}"


def offset_page(
    items: Sequence[Any],
    render: Render,
    *,
    key: str,
    base: str,
    path: str,
    query: Query,
    record_cap: int | None = None,
) -> dict[str, Any]:
    page = _int_param(query, "page", 1, 1)
    per_page = min(_int_param(query, "per_page", MAX_PAGE_SIZE, 1), MAX_PAGE_SIZE)
    start = (page - 1) * per_page
    if record_cap is not None and start + per_page > record_cap:
        raise bad_request(
            "InvalidPaginationParameter",
            f"Offset pagination is limited to the first {record_cap} records. "
            "Please use cursor based pagination.",
        )
    chunk = items[start : start + per_page]
    more = start + per_page < len(items)
    return {
        key: [render(item) for item in chunk],
        "next_page": _url(base, path, query, {"page": str(page + 1), "per_page": str(per_page)})
        if more
        else None,
        "previous_page": _url(base, path, query, {"page": str(page - 1), "per_page": str(per_page)})
        if page > 1
        else None,
        "count": len(items),
    }


def encode_cursor(item_id: int) -> str:
    raw = json.dumps({"o": "id", "v": item_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(data["v"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise bad_request(
            "InvalidPaginationParameter", "page[after] or page[before] is invalid"
        ) from None


def cursor_page(
    items: Sequence[HasId],
    render: Render,
    *,
    key: str,
    base: str,
    path: str,
    query: Query,
) -> dict[str, Any]:
    size = _int_param(query, "page[size]", MAX_PAGE_SIZE, 1)
    if size > MAX_PAGE_SIZE:
        raise bad_request("InvalidPaginationParameter", "page[size] must be at most 100")
    ordered = sorted(items, key=lambda item: item.id)
    after, before = _first(query, "page[after]"), _first(query, "page[before]")
    if after:
        after_id = decode_cursor(after)
        remaining = [item for item in ordered if item.id > after_id]
        chunk, has_more = remaining[:size], len(remaining) > size
    elif before:
        before_id = decode_cursor(before)
        preceding = [item for item in ordered if item.id < before_id]
        chunk, has_more = preceding[-size:], True
    else:
        chunk, has_more = ordered[:size], len(ordered) > size
    first_cursor = encode_cursor(chunk[0].id) if chunk else None
    last_cursor = encode_cursor(chunk[-1].id) if chunk else None
    has_before = bool(chunk) and chunk[0].id != ordered[0].id
    return {
        key: [render(item) for item in chunk],
        "meta": {"has_more": has_more, "after_cursor": last_cursor, "before_cursor": first_cursor},
        "links": {
            "next": _url(base, path, query, {"page[size]": str(size), "page[after]": last_cursor})
            if has_more and last_cursor
            else None,
            "prev": _url(base, path, query, {"page[size]": str(size), "page[before]": first_cursor})
            if has_before and first_cursor
            else None,
        },
    }


def paginate(
    items: Sequence[HasId],
    render: Render,
    *,
    key: str,
    base: str,
    path: str,
    query: Query,
    record_cap: int | None = None,
) -> dict[str, Any]:
    """Cursor pagination when any ``page[...]`` parameter is present, offset otherwise."""
    if wants_cursor(query):
        return cursor_page(items, render, key=key, base=base, path=path, query=query)
    return offset_page(
        items, render, key=key, base=base, path=path, query=query, record_cap=record_cap
    )
