"""Matching AMI replies to the action that asked: a response, then list items for list actions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from deskline.pbx.asterisk.protocol import Frame

_OK = frozenset({"success", "goodbye", "follows"})


@dataclass(frozen=True)
class ActionResult:
    """The reply to one action: its response and, for list actions, the items that followed."""

    response: Frame
    items: list[Frame] = field(default_factory=list)
    complete: Frame | None = None

    @property
    def ok(self) -> bool:
        return self.response.value("Response").lower() in _OK

    @property
    def message(self) -> str:
        return self.response.value("Message")


class PendingAction:
    """An action waiting for its reply; :meth:`take` is offered every frame with its ActionID."""

    def __init__(self, action_id: str, future: asyncio.Future[ActionResult]) -> None:
        self.action_id = action_id
        self.future = future
        self._response: Frame | None = None
        self._items: list[Frame] = []
        self._is_list = False

    def take(self, frame: Frame) -> bool:
        """Whether the frame belongs to this reply (events such as OriginateResponse that only
        share the ActionID are left to the event stream)."""
        if self._response is None:
            if frame.response is None:
                return False
            self._response = frame
            self._is_list = frame.value("EventList").lower() == "start"
            if not self._is_list:
                self._resolve(None)
            return True
        if not self._is_list:
            return False
        if frame.value("EventList").lower() == "complete":
            self._resolve(frame)
        else:
            self._items.append(frame)
        return True

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)

    def _resolve(self, complete: Frame | None) -> None:
        assert self._response is not None
        if not self.future.done():
            self.future.set_result(ActionResult(self._response, self._items, complete))
