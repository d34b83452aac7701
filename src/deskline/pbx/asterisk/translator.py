"""AMI events → deskline call events. Stateful: one translator per AMI connection.

The call id is the ``Linkedid`` shared by every channel of a call. Each produced event's key
is the AMI frame's identity (event name, Uniqueid, Timestamp) plus the event kind, so a
duplicated frame gives the same keys and is dropped (here and again by the tracker).

This module keeps the per-connection state (channels → calls, calls in progress, recently
seen frames) and routes each frame to the rules of one concern:

- :mod:`~deskline.pbx.asterisk.offers`: the call's direction, caller, callee (CallOffered);
- :mod:`~deskline.pbx.asterisk.legs`: who rang and how each leg ended (Dial*, Agent*);
- :mod:`~deskline.pbx.asterisk.lifecycle`: queue, recording, transfer, hangup and Cdr.

After a reconnect the translator starts empty: calls already in progress are picked up from
their next events (the tracker tolerates the missing beginning). A hangup may then be taken
for the call's end too early if the new session never saw the call's other channels.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from deskline.calls.events import CallEvent
from deskline.pbx.asterisk import legs, lifecycle, offers
from deskline.pbx.asterisk.dialplan import Dialplan
from deskline.pbx.asterisk.protocol import Frame
from deskline.pbx.asterisk.translator_state import CallState, Context, to_number

log = logging.getLogger(__name__)

_NOT_OBSERVED = frozenset({"CEL", "Cdr"})  # they name channels but come after their hangup
_PURGE_EVERY = 1000

Handler = Callable[[Context], None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AmiTranslator:
    """Turns the frames of one AMI connection into call events."""

    def __init__(
        self,
        dialplan: Dialplan,
        *,
        clock: Callable[[], datetime] = _utc_now,
        keep_ended: int = 500,
        stale_after_seconds: float = 6 * 3600,
        dedupe_window: int = 4096,
    ) -> None:
        self.dialplan = dialplan
        self._clock = clock
        self._keep_ended = keep_ended
        self._stale = timedelta(seconds=stale_after_seconds)
        self._dedupe_window = dedupe_window
        self._channels: dict[str, str] = {}
        self._live: dict[str, CallState] = {}
        self._ended: OrderedDict[str, CallState] = OrderedDict()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._frames = 0
        self._handlers: dict[str, Handler] = {
            "DialBegin": legs.on_dial_begin,
            "DialEnd": legs.on_dial_end,
            "AgentCalled": legs.on_agent_called,
            "AgentRingNoAnswer": legs.on_agent_ring_no_answer,
            "AgentConnect": legs.on_agent_connect,
            "QueueCallerJoin": lifecycle.on_queue_join,
            "QueueCallerLeave": lifecycle.on_queue_leave,
            "QueueCallerAbandon": lifecycle.on_queue_abandon,
            "VarSet": lifecycle.on_var_set,
            "Hangup": lifecycle.on_hangup,
            "BlindTransfer": lifecycle.on_blind_transfer,
            "AttendedTransfer": lifecycle.on_attended_transfer,
            "Cdr": lifecycle.on_cdr,
        }

    def translate(self, frame: Frame) -> list[CallEvent]:
        """The call events of one AMI frame (none for responses and unrelated events)."""
        name = frame.event
        if name is None or "ActionID" in frame:
            return []  # responses and the items of our own list actions
        handler = self._handlers.get(name)
        observe = name not in _NOT_OBSERVED and "Linkedid" in frame and "Channel" in frame
        if handler is None and not observe:
            return []
        identity = _identity(frame, name)
        if identity in self._recent:
            return []
        self._remember(identity)
        return self._translate(frame, name, identity, handler, observe)

    def _translate(
        self, frame: Frame, name: str, identity: str, handler: Handler | None, observe: bool
    ) -> list[CallEvent]:
        call_id = self._call_id(frame, name)
        if not call_id:
            log.debug("AMI %s frame of an unknown call skipped", name)
            return []
        at = _timestamp(frame) or self._clock()
        call = self._call(call_id, at)
        ctx = Context(
            frame=frame, name=name, call=call, plan=self.dialplan, at=at, identity=identity
        )
        try:
            if observe:
                offers.observe(ctx)
            if handler is not None:
                handler(ctx)
        except Exception:  # one odd frame must never stop the event stream
            log.exception("AMI %s frame could not be translated: %r", name, frame.items[:8])
        finally:
            self._index_channels(call)
        self._retire_if_over(call)
        self._frames += 1
        if self._frames % _PURGE_EVERY == 0:
            self._purge_stale(at)
        return ctx.events

    # -- calls and channels -------------------------------------------------------------------

    def _call_id(self, frame: Frame, name: str) -> str | None:
        if name == "Cdr":
            return self._channels.get(frame.value("UniqueID"))
        for key in (
            "Linkedid",
            "DestLinkedid",
            "TransfereeLinkedid",
            "TransfererLinkedid",
            "OrigTransfererLinkedid",
            "SecondTransfererLinkedid",
        ):
            if value := frame.value(key):
                return value
        return self._channels.get(frame.value("Uniqueid"))

    def _call(self, call_id: str, at: datetime) -> CallState:
        call = self._live.get(call_id) or self._ended.get(call_id)
        if call is None:
            call = self._live[call_id] = CallState(call_id=call_id, last_seen=at)
        call.last_seen = max(call.last_seen, at)
        return call

    def _index_channels(self, call: CallState) -> None:
        for uniqueid in call.fresh:
            self._channels[uniqueid] = call.call_id
        call.fresh.clear()

    def _retire_if_over(self, call: CallState) -> None:
        if call.hung_up and not call.live and call.call_id in self._live:
            del self._live[call.call_id]
            self._ended[call.call_id] = call  # kept for its Cdrs, which follow the hangups
            while len(self._ended) > self._keep_ended:
                _, old = self._ended.popitem(last=False)
                self._forget(old)

    def _purge_stale(self, now: datetime) -> None:
        for call in [c for c in self._live.values() if now - c.last_seen > self._stale]:
            log.info("AMI call %s silent since %s: forgotten", call.call_id, call.last_seen)
            del self._live[call.call_id]
            self._forget(call)

    def _forget(self, call: CallState) -> None:
        for uniqueid in call.channels:
            if self._channels.get(uniqueid) == call.call_id:
                del self._channels[uniqueid]

    def _remember(self, identity: str) -> None:
        self._recent[identity] = None
        if len(self._recent) > self._dedupe_window:
            self._recent.popitem(last=False)


def _identity(frame: Frame, name: str) -> str:
    uniqueid = (
        frame.value("Uniqueid")
        or frame.value("DestUniqueid")
        or frame.value("TransfereeUniqueid")
        or frame.value("OrigTransfererUniqueid")
    )
    stamp = frame.value("Timestamp")
    if not stamp:
        stamp = hashlib.blake2b(repr(frame.items).encode(), digest_size=8).hexdigest()
    return f"ami:{name}:{uniqueid}:{stamp}"


def _timestamp(frame: Frame) -> datetime | None:
    value = to_number(frame.value("Timestamp"))
    return None if value is None else datetime.fromtimestamp(value, UTC)
