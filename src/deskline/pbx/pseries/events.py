"""The P-Series event envelope: ``{"type": <event id>, "sn": "<PBX serial>", "msg": "<JSON>"}``.

``msg`` is itself a JSON-encoded string, so it is decoded twice; an already-decoded object is
accepted too (the webhook variant's body is unverified). Anything malformed raises
:class:`~deskline.errors.EventPayloadError` with a message that says where and why; the
WebSocket loop logs and skips such frames, the webhook answers 4xx.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from deskline.errors import EventPayloadError

MAX_FRAME_BYTES = 1_000_000


class Topic(IntEnum):
    EXTENSION_REGISTRATION = 30007
    EXTENSION_CALL_STATE = 30008
    EXTENSION_PRESENCE = 30009
    TRUNK_REGISTRATION = 30010
    CALL_STATE = 30011
    NEW_CDR = 30012
    CALL_TRANSFER = 30013
    CALL_FORWARD = 30014
    CALL_FAILED = 30015
    INCOMING_CALL_INVITATION = 30016
    PROMPT_END = 30018


@dataclass(frozen=True, slots=True)
class PSeriesEvent:
    """One decoded event: its id, the PBX serial number and the ``msg`` object."""

    type: int
    sn: str
    msg: dict[str, Any]

    @property
    def call_id(self) -> str | None:
        value = self.msg.get("call_id")
        return str(value) if isinstance(value, str | int) and str(value) else None

    @property
    def digest(self) -> str:
        """A short, stable fingerprint of ``msg`` (the same event redelivered has the same one)."""
        canonical = json.dumps(self.msg, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _loads(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventPayloadError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise EventPayloadError(f"{what} is not UTF-8 text") from exc


def decode_event(frame: str | bytes | dict[str, Any]) -> PSeriesEvent:
    """The envelope and its twice-encoded ``msg``, checked."""
    if isinstance(frame, str | bytes):
        if len(frame) > MAX_FRAME_BYTES:
            raise EventPayloadError(f"event is larger than {MAX_FRAME_BYTES} bytes")
        data = _loads(frame, "event")
    else:
        data = frame
    if not isinstance(data, dict):
        raise EventPayloadError("event must be a JSON object with type, sn and msg")
    raw_type = data.get("type")
    if isinstance(raw_type, bool) or not isinstance(raw_type, int | str):
        raise EventPayloadError("event field 'type' must be an integer event id")
    try:
        event_type = int(raw_type)
    except ValueError as exc:
        raise EventPayloadError(f"event field 'type' is not an event id: {raw_type!r:.40}") from exc
    raw_msg = data.get("msg")
    msg = _loads(raw_msg, "event field 'msg'") if isinstance(raw_msg, str) else raw_msg
    if not isinstance(msg, dict):
        raise EventPayloadError("event field 'msg' must hold a JSON object")
    sn = data.get("sn")
    return PSeriesEvent(type=event_type, sn=str(sn) if isinstance(sn, str | int) else "", msg=msg)
