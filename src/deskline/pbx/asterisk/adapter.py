"""The Asterisk PBX adapter: AMI events into the event sink, click-to-call through Originate."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from deskline.calls.events import CallEvent
from deskline.errors import PbxActionError, PbxError, StorageError
from deskline.pbx.asterisk.client import AmiClient, ConnectionState
from deskline.pbx.asterisk.config import AsteriskConfig
from deskline.pbx.asterisk.dialplan import Dialplan
from deskline.pbx.asterisk.protocol import Frame
from deskline.pbx.asterisk.recording_files import copy_recording, resolve_recording
from deskline.pbx.asterisk.translator import AmiTranslator
from deskline.pbx.base import EventSink, OriginateResult, PbxAdapter, register_adapter
from deskline.pbx.recordings import FetchedRecording

log = logging.getLogger(__name__)

ORIGINATE_REASONS = {
    "0": "failed (no such channel or extension)",
    "1": "hung up",
    "3": "not answered",
    "4": "answered",
    "5": "busy",
    "8": "congestion",
}
"""OriginateResponse ``Reason`` codes (Asterisk's AST_CONTROL values)."""

_DIALLABLE = re.compile(r"^\+?[0-9*#]+$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SINK_ATTEMPTS = 3
_SINK_RETRY_CAP = 30.0
_BUFFER_WARN = 1000
_DRAIN_SECONDS = 5.0


@dataclass(frozen=True)
class OriginateOutcome:
    """What became of a click-to-call once the agent's phone stopped ringing."""

    action_id: str
    success: bool
    reason: str
    call_id: str | None


class AsteriskAdapter:
    """One AMI connection to one Asterisk (see :mod:`deskline.pbx.asterisk`)."""

    kind: ClassVar[str] = "asterisk"
    config_model: ClassVar[type[BaseModel]] = AsteriskConfig

    def __init__(self, config: AsteriskConfig, *, sink_retry_seconds: float = 0.5) -> None:
        self.config = config
        self.dialplan = Dialplan.from_config(config)
        self.client = AmiClient(config, on_frames=self._on_frames, on_connect=self._on_connect)
        self._translator = AmiTranslator(self.dialplan)
        self._sink: EventSink | None = None
        self._sink_retry = sink_retry_seconds
        self._outbox: asyncio.Queue[list[CallEvent]] = asyncio.Queue()
        self._originates: OrderedDict[str, asyncio.Future[OriginateOutcome]] = OrderedDict()

    def __repr__(self) -> str:
        return f"AsteriskAdapter({self.config.username}@{self.config.host}:{self.config.port})"

    @property
    def state(self) -> ConnectionState:
        return self.client.state

    async def run(self, sink: EventSink) -> None:
        """Read AMI until closed; a separate task stores the events, so a slow or briefly
        unavailable database never stalls the AMI session (its keep-alive keeps answering)."""
        self._sink = sink
        delivery = asyncio.create_task(self._delivery_loop(), name=f"{self!r} delivery")
        try:
            await self.client.run()
        finally:
            # give events already read a bounded chance to be stored before stopping
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox.join(), timeout=_DRAIN_SECONDS)
            delivery.cancel()

    async def close(self) -> None:
        await self.client.close()

    async def fetch_recording(self, ref: str, destination: Path) -> FetchedRecording:
        """The MixMonitor file of ``ref`` from the configured recordings directory."""
        source = resolve_recording(ref, self.config.recordings_dir, self.config.recordings_pbx_dir)
        return await copy_recording(source, destination)

    # -- events -------------------------------------------------------------------------------

    async def _on_connect(self) -> None:
        self._translator = AmiTranslator(self.dialplan)  # a new session knows no channels

    async def _on_frames(self, frames: Sequence[Frame]) -> None:
        events: list[CallEvent] = []
        for frame in frames:
            if frame.event == "OriginateResponse":
                self._originate_answered(frame)
            events.extend(self._translator.translate(frame))
        if events and self._sink is not None:
            if self._outbox.qsize() >= _BUFFER_WARN:
                log.warning("%d event batches wait for the database", self._outbox.qsize())
            self._outbox.put_nowait(events)

    async def _delivery_loop(self) -> None:
        while True:
            events = await self._outbox.get()
            try:
                await self._deliver(events)
            finally:
                self._outbox.task_done()

    async def _deliver(self, events: list[CallEvent]) -> None:
        """Hand events to the sink; while the database is down, wait for it (never drop).

        Reading stops meanwhile, so the events queue up in the socket and in Asterisk instead
        of being lost. Anything else (a bug, not an outage) is retried a few times and then
        logged with the events' keys.
        """
        assert self._sink is not None
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._sink(events)
                return
            except StorageError as exc:
                delay = min(self._sink_retry * 2 ** min(attempt - 1, 8), _SINK_RETRY_CAP)
                log.warning("storing call events failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
            except Exception as exc:
                if attempt >= _SINK_ATTEMPTS:
                    keys = ", ".join(event.key for event in events[:5])
                    log.error(
                        "%d call event(s) could not be stored (%s): %s", len(events), exc, keys
                    )
                    return
                log.warning("storing call events failed (%s); retrying", exc)
                await asyncio.sleep(self._sink_retry * attempt)

    # -- click-to-call ------------------------------------------------------------------------

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        """Ring ``extension`` first; once it answers, the dialplan dials ``number``."""
        extension = extension.strip()
        dial = re.sub(r"[\s\-.()/]", "", number)
        if not self.dialplan.is_extension(extension):
            raise PbxActionError(f"{extension!r} is not an extension of this PBX")
        if not _DIALLABLE.match(dial):
            raise PbxActionError(f"{number!r} is not a number that can be dialled")
        for name in variables or {}:
            if not _VARIABLE.match(name):
                raise PbxActionError(f"invalid channel variable name {name!r}")
        config = self.config
        fields: dict[str, str | list[str]] = {
            "Channel": config.originate_channel.replace("{extension}", extension),
            "Context": config.originate_context,
            "Exten": dial,
            "Priority": "1",
            "Timeout": str(int(config.originate_timeout_seconds * 1000)),
            "Async": "true",
        }
        if config.originate_caller_id:
            caller_id = config.originate_caller_id.replace("{number}", dial)
            fields["CallerID"] = caller_id.replace("{extension}", extension)
        if variables:
            fields["Variable"] = [f"{name}={value}" for name, value in variables.items()]
        try:
            result = await self.client.action("Originate", fields, check=False)
        except ValueError as exc:  # a value that would break the AMI frame
            raise PbxActionError(f"cannot originate: {exc}") from exc
        action_id = result.response.value("ActionID")
        if result.ok:
            self._expect_outcome(action_id)
        return OriginateResult(
            accepted=result.ok,
            message=result.message,
            details={"action_id": action_id, "channel": str(fields["Channel"]), "exten": dial},
        )

    async def originate_outcome(self, action_id: str, wait_seconds: float) -> OriginateOutcome:
        """The OriginateResponse of an accepted originate (raises TimeoutError if none came)."""
        future = self._originates.get(action_id)
        if future is None:
            raise PbxError(f"no click-to-call with action id {action_id!r} is awaited")
        return await asyncio.wait_for(asyncio.shield(future), wait_seconds)

    def _expect_outcome(self, action_id: str) -> None:
        self._originates[action_id] = asyncio.get_running_loop().create_future()
        while len(self._originates) > 256:
            _, old = self._originates.popitem(last=False)
            old.cancel()

    def _originate_answered(self, frame: Frame) -> None:
        action_id = frame.value("ActionID")
        success = frame.value("Response").lower() == "success"
        reason = ORIGINATE_REASONS.get(frame.value("Reason"), f"reason {frame.value('Reason')}")
        uniqueid = frame.value("Uniqueid")
        outcome = OriginateOutcome(
            action_id=action_id,
            success=success,
            reason=reason,
            call_id=uniqueid if uniqueid and uniqueid != "<unknown>" else None,
        )
        future = self._originates.get(action_id)
        if future is None:
            return  # another AMI client's originate
        if not success:
            log.warning(
                "click-to-call %s on %s did not connect: %s",
                action_id,
                frame.value("Channel"),
                reason,
            )
        if not future.done():
            future.set_result(outcome)


def build_adapter(config: BaseModel) -> PbxAdapter:
    if not isinstance(config, AsteriskConfig):
        raise TypeError("the asterisk adapter needs an AsteriskConfig")
    return AsteriskAdapter(config)


register_adapter("asterisk", AsteriskConfig, build_adapter)
