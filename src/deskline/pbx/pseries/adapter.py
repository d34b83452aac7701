"""The P-Series PBX adapter (kind ``pseries``): events in, ``call/dial`` out.

With the WebSocket transport :meth:`PSeriesAdapter.run` keeps a subscription open; with the
webhook transport events arrive through ``/webhooks/pseries/{connection}`` and ``run`` only
waits. Either way frames go through :meth:`PSeriesAdapter.accept_frame`: decoded, translated,
and handed to the sink, which returns once they are stored.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import ClassVar

import httpx
from pydantic import BaseModel

from deskline.calls.events import CallEvent
from deskline.errors import EventPayloadError, PbxError, StorageError
from deskline.pbx.base import EventSink, OriginateResult, register_adapter
from deskline.pbx.pseries.api import PSeriesApi
from deskline.pbx.pseries.config import EventTransport, PSeriesConfig
from deskline.pbx.pseries.events import PSeriesEvent, decode_event
from deskline.pbx.pseries.translate import PSeriesTranslator
from deskline.pbx.pseries.ws import PSeriesSubscription
from deskline.pbx.recordings import FetchedRecording, RecordingUnavailableError

log = logging.getLogger(__name__)


async def deliver(sink: EventSink, events: list[CallEvent], *, max_delay: float = 30.0) -> None:
    """Hand events to the sink; while storage is down keep retrying (nothing is lost)."""
    delay = 0.2
    while True:
        try:
            await sink(events)
            return
        except StorageError as exc:
            log.warning(
                "storing %d P-Series events failed (%s); retrying in %.1fs", len(events), exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)


class PSeriesAdapter:
    """One P-Series PBX."""

    kind: ClassVar[str] = "pseries"
    config_model: ClassVar[type[BaseModel]] = PSeriesConfig

    def __init__(
        self,
        config: PSeriesConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        translator: PSeriesTranslator | None = None,
    ) -> None:
        self.config = config
        self.api = PSeriesApi(config, transport=transport)
        self.translator = translator or PSeriesTranslator(
            tz=config.tz, default_country=config.default_country
        )
        self.subscription: PSeriesSubscription | None = None
        self._closed = asyncio.Event()

    def __repr__(self) -> str:
        return f"PSeriesAdapter({self.config.base_url!r}, {self.config.transport.value})"

    def translate(self, event: PSeriesEvent) -> list[CallEvent]:
        return self.translator.translate(event)

    async def run(self, sink: EventSink) -> None:
        if self.config.transport is EventTransport.WEBHOOK:
            await self._closed.wait()
            return

        async def on_frame(frame: str) -> None:
            await self.accept_frame(frame, sink)

        self.subscription = PSeriesSubscription(self.config, self.api.tokens, on_frame)
        runner = asyncio.create_task(self.subscription.run())
        closer = asyncio.create_task(self._closed.wait())
        try:
            await asyncio.wait({runner, closer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (runner, closer):
                task.cancel()
            await asyncio.gather(runner, closer, return_exceptions=True)

    async def accept_frame(self, frame: str, sink: EventSink) -> int:
        """Decode, translate and store one WebSocket frame; bad frames are logged and skipped."""
        try:
            event = decode_event(frame)
            events = self.translate(event)
        except EventPayloadError as exc:
            log.warning("P-Series frame skipped: %s; frame: %.300r", exc, frame)
            return 0
        except Exception:
            log.exception("P-Series frame could not be translated; frame: %.300r", frame)
            return 0
        if events:
            try:
                await deliver(sink, events)
            except Exception:
                log.exception("P-Series events of call %s could not be stored", event.call_id)
                return 0
        return len(events)

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        """Click-to-call through ``call/dial`` (the extension rings first, then the number)."""
        try:
            call_id = await self.api.dial(extension, number, dial_permission=extension)
        except PbxError as exc:
            return OriginateResult(accepted=False, message=str(exc))
        return OriginateResult(accepted=True, call_id=call_id, message="dialling")

    async def fetch_recording(self, ref: str, destination: Path) -> FetchedRecording:
        """The CDR's recording file through ``recording/download``."""
        if not ref.strip():
            raise RecordingUnavailableError("the call has no recording file name")
        return await self.api.download_recording(ref.strip(), destination)

    async def close(self) -> None:
        self._closed.set()
        await self.api.aclose()


def _build(config: BaseModel) -> PSeriesAdapter:
    assert isinstance(config, PSeriesConfig)
    return PSeriesAdapter(config)


register_adapter(PSeriesAdapter.kind, PSeriesConfig, _build)
