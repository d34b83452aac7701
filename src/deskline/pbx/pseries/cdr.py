"""The P-Series "New CDR" event (30012) as a :class:`~deskline.calls.events.CallDetailRecord`.

Quirks handled: ``status`` comes in any case and is documented as ``ANSWERD`` (sic) but seen
as ``ANSWERED``; ``type`` is documented lower-case but seen as ``Outbound``; ``time_start`` is
PBX-local time without a zone; the recording is a file name, kept as the recording reference.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from deskline.calls.events import CallDetailRecord
from deskline.calls.model import CallStatus, Direction
from deskline.errors import EventPayloadError
from deskline.pbx.pseries.events import PSeriesEvent
from deskline.pbx.webhook.parties import make_party
from deskline.phones import NumberNormaliser

log = logging.getLogger(__name__)

_STATUS = {
    "ANSWERED": CallStatus.ANSWERED,
    "ANSWERD": CallStatus.ANSWERED,
    "NO ANSWER": CallStatus.NO_ANSWER,
    "NOANSWER": CallStatus.NO_ANSWER,
    "NO_ANSWER": CallStatus.NO_ANSWER,
    "BUSY": CallStatus.BUSY,
    "VOICEMAIL": CallStatus.VOICEMAIL,
    "FAILED": CallStatus.FAILED,
}


def cdr_status(raw: object) -> CallStatus | None:
    status = _STATUS.get(" ".join(str(raw or "").upper().split()))
    if status is None and raw:
        log.warning("P-Series CDR with unknown status %r", str(raw)[:40])
    return status


def cdr_direction(raw: object) -> Direction | None:
    try:
        return Direction(str(raw or "").strip().lower())
    except ValueError:
        return None


_MAX_SECONDS = 7 * 24 * 3600


def _seconds(msg: dict[str, Any], field: str) -> int:
    value = msg.get(field, 0)
    try:
        seconds = max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        raise EventPayloadError(f"CDR field {field!r} is not a number of seconds") from None
    if seconds > _MAX_SECONDS:
        raise EventPayloadError(f"CDR field {field!r} is longer than a week")
    return seconds


def _local_time(raw: object, tz: ZoneInfo) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.strptime(str(raw).strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise EventPayloadError(
            f"CDR time_start {str(raw)[:40]!r} is not YYYY-MM-DD HH:MM:SS"
        ) from None
    return value.replace(tzinfo=tz)


def translate_cdr(
    event: PSeriesEvent, *, tz: ZoneInfo, normaliser: NumberNormaliser, key: str, at: datetime
) -> CallDetailRecord:
    """The CDR as a call event; raises EventPayloadError for unusable fields."""
    msg = event.msg
    call_id = event.call_id
    if call_id is None:
        raise EventPayloadError("CDR without call_id")
    started_at = _local_time(msg.get("time_start"), tz)
    duration, talk = _seconds(msg, "call_duration"), _seconds(msg, "talk_duration")
    try:
        ended_at = started_at + timedelta(seconds=duration) if started_at else None
        answered_at = (
            ended_at - timedelta(seconds=min(talk, duration)) if ended_at and talk else None
        )
    except OverflowError:
        raise EventPayloadError("CDR times are out of range") from None
    status = cdr_status(msg.get("status"))
    direction = cdr_direction(msg.get("type"))
    caller = make_party(normaliser, str(msg.get("call_from") or ""))
    callee = make_party(normaliser, str(msg.get("call_to") or ""))
    answered_by = None
    if status is CallStatus.ANSWERED:
        agent = callee if direction is not Direction.OUTBOUND else caller
        answered_by = agent.number if agent.is_extension else None
    return CallDetailRecord(
        call_id=call_id,
        at=at,
        key=key,
        status=status,
        direction=direction,
        caller=caller,
        callee=callee,
        trunk=str(msg.get("src_trunk_name") or msg.get("dst_trunk_name") or "") or None,
        did=str(msg.get("did_number") or "") or None,
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        talk_seconds=talk,
        answered_by=answered_by,
        recording=str(msg.get("recording") or "") or None,
    )
