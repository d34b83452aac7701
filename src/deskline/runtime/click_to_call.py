"""Click-to-call (F6, the PBX half): ring an agent's extension, then dial a number.

The number is normalised (E.164 with the default country; a short internal number stays an
extension). Requests are debounced: the same connection, extension and number within
``window_seconds`` of an accepted request get that first answer back instead of a second call
(double clicks and browser-extension retries are a known complaint). Identical requests that
arrive while the first is still waiting for the PBX share its answer. A refused request is
not remembered, so the agent can try again at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from deskline.errors import DesklineError, PbxError
from deskline.pbx.base import OriginateResult, PbxAdapter
from deskline.phones import NumberNormaliser


class ClickToCallError(DesklineError):
    """A click-to-call that cannot be placed; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class DialOutcome:
    result: OriginateResult
    extension: str
    number: str
    debounced: bool = False


_Key = tuple[int, str, str]


class ClickToCall:
    """Places debounced click-to-call requests through running adapters."""

    def __init__(
        self,
        normaliser: NumberNormaliser,
        *,
        window_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.normaliser = normaliser
        self.window_seconds = window_seconds
        self._clock = clock
        self._recent: dict[_Key, tuple[float, asyncio.Future[OriginateResult]]] = {}

    def dialable(self, extension: str, number: str) -> tuple[str, str]:
        """(extension, number to dial), or a 422 :class:`ClickToCallError` saying what is wrong."""
        extension = extension.strip()
        if not self.normaliser.is_extension(extension):
            raise ClickToCallError(422, f"{extension[:40]!r} is not an extension")
        parsed = self.normaliser.normalise(number)
        if parsed.is_extension:
            return extension, parsed.raw
        if parsed.e164 is None:
            raise ClickToCallError(
                422, f"{number[:40]!r} is not a phone number that can be dialled"
            )
        return extension, parsed.e164

    async def dial(
        self, connection_id: int, adapter: PbxAdapter, extension: str, number: str
    ) -> DialOutcome:
        extension, dial_number = self.dialable(extension, number)
        key = (connection_id, extension, dial_number)
        now = self._clock()
        self._forget_expired(now)
        known = self._recent.get(key)
        if known is not None:
            result = await asyncio.shield(known[1])
            return DialOutcome(result, extension, dial_number, debounced=True)
        future: asyncio.Future[OriginateResult] = asyncio.get_running_loop().create_future()
        self._recent[key] = (now + self.window_seconds, future)
        try:
            result = await adapter.originate(extension, dial_number)
        except PbxError as exc:
            result = OriginateResult(accepted=False, message=str(exc))
        except Exception as exc:
            self._recent.pop(key, None)
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        future.set_result(result)
        if not result.accepted:
            self._recent.pop(key, None)
        return DialOutcome(result, extension, dial_number)

    def _forget_expired(self, now: float) -> None:
        for key, (expires, future) in list(self._recent.items()):
            if expires <= now and future.done():
                del self._recent[key]
