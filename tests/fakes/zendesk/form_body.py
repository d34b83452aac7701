"""Rails-style form bodies (``ticket[voice_comment][from]=...``) as the JSON they stand for.

The TPE voice-ticket endpoint accepts form encoding; values arrive as strings, so the known
integer and boolean fields are converted the way Zendesk's Rails back end would.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

INTEGER_KEYS = frozenset(
    {
        "via_id",
        "display_to_agent",
        "call_duration",
        "answered_by_id",
        "requester_id",
        "submitter_id",
        "assignee_id",
        "group_id",
        "organization_id",
        "brand_id",
        "ticket_form_id",
    }
)
BOOLEAN_KEYS = frozenset({"public"})
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SUBKEY = re.compile(r"\[([^\[\]]*)\]")


def _convert(key: str, value: str) -> Any:
    if key in INTEGER_KEYS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key in BOOLEAN_KEYS and value in ("true", "false", "1", "0"):
        return value in ("true", "1")
    return value


def parse_form(body: bytes) -> dict[str, Any]:
    """Nested dictionaries from a bracketed form body; ``a[]`` keys collect lists."""
    result: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        match = _KEY.match(raw_key)
        parts = [raw_key] if match is None else [match.group(1), *_SUBKEY.findall(match.group(2))]
        is_list = len(parts) > 1 and parts[-1] == ""
        if is_list:
            parts = parts[:-1]
        parent = _parent_of(result, parts[:-1])
        key = parts[-1]
        if is_list:
            existing = parent.get(key)
            parent[key] = [*(existing if isinstance(existing, list) else []), value]
        else:
            parent[key] = _convert(key, value)
    return result


def _parent_of(root: dict[str, Any], path: list[str]) -> dict[str, Any]:
    node = root
    for part in path:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    return node
