"""P-Series events as vendor-neutral call events.

30011 (call state), 30014 (forward), 30015 (failed) and 30016 (invitation) carry member
snapshots; the translator reports each member's change once: a called extension rings, answers
and ends (one leg, its channel id as the leg id); an outbound call's calling extension is the
agent, and the far end answering is the call's answer; the customer leaving ends the call.
30012 becomes a CDR, 30013 a transfer (its fields are unverified, so it is read leniently).
Event keys are built from the PBX's identities (serial, call id, channel), so a redelivered
event is dropped.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from deskline.calls.events import CallEvent
from deskline.errors import EventPayloadError
from deskline.pbx.pseries.events import PSeriesEvent, Topic
from deskline.pbx.pseries.members import CallState, parse_members
from deskline.pbx.pseries.snapshot import EventBatch
from deskline.phones import shared_normaliser

log = logging.getLogger(__name__)

_MEMBER_TOPICS = frozenset(
    {
        Topic.CALL_STATE,
        Topic.CALL_FORWARD,
        Topic.CALL_FAILED,
        Topic.INCOMING_CALL_INVITATION,
        Topic.CALL_TRANSFER,
    }
)
_HANDLED = frozenset({*_MEMBER_TOPICS, Topic.NEW_CDR})


class PSeriesTranslator:
    """Translates one PBX connection's events; keeps a small state per live call."""

    def __init__(
        self,
        *,
        tz: ZoneInfo,
        default_country: str = "US",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_calls: int = 2000,
    ) -> None:
        self.tz = tz
        self.numbers = shared_normaliser(default_country)
        self.clock = clock
        self._max_calls = max_calls
        self._calls: OrderedDict[str, CallState] = OrderedDict()
        self._journal: dict[str, CallState | None] | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo the state changes of the events translated inside if they fail to be stored.

        Keys are stable, so events re-produced after an undo are dropped if already stored.
        """
        journal: dict[str, CallState | None] = {}
        self._journal = journal
        try:
            yield
        except BaseException:
            for call_id, saved in journal.items():
                self._calls.pop(call_id, None)
                if saved is not None:
                    self._calls[call_id] = saved
            raise
        finally:
            self._journal = None

    def translate(self, event: PSeriesEvent) -> list[CallEvent]:
        """The call events for one PBX event (none for topics deskline does not use)."""
        if event.type not in _HANDLED:
            log.debug("P-Series event %s ignored", event.type)
            return []
        call_id = event.call_id
        if call_id is None:
            raise EventPayloadError(f"P-Series event {event.type} has no call_id")
        batch = EventBatch(
            event,
            call_id,
            self._state(call_id),
            at=self.clock(),
            tz=self.tz,
            numbers=self.numbers,
        )
        if event.type == Topic.NEW_CDR:
            batch.cdr()
        else:
            updates = parse_members(event.msg)
            if not updates and event.type not in (Topic.CALL_FAILED, Topic.CALL_TRANSFER):
                return []
            batch.members(updates)
        if batch.state.hung_up and event.type == Topic.NEW_CDR:
            self._calls.pop(call_id, None)  # the call is complete
        return batch.out

    def _state(self, call_id: str) -> CallState:
        known = self._calls.pop(call_id, None)
        if self._journal is not None and call_id not in self._journal:
            self._journal[call_id] = copy.deepcopy(known)
        state = known or CallState()
        self._calls[call_id] = state
        while len(self._calls) > self._max_calls:
            self._calls.popitem(last=False)
        return state
