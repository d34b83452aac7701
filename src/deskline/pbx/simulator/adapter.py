"""The simulator as a PBX kind (``simulator``): click-to-call without a PBX.

Calls simulated by ``deskline simulate`` arrive over HTTP like any webhook. Here,
:meth:`SimulatorAdapter.originate` plays an outbound call from the agent's extension straight
into the event sink, so click-to-call can be tried end to end.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from deskline.pbx.base import EventSink, OriginateResult, register_adapter
from deskline.pbx.recordings import (
    FetchedRecording,
    RecordingUnavailableError,
    tone_wav,
    write_file,
)
from deskline.pbx.simulator.config import SimulatorConfig
from deskline.pbx.simulator.player import Deliver, play
from deskline.pbx.simulator.scenario import (
    SIMULATED_RECORDING_PREFIX,
    CallScenario,
    Step,
    build_steps,
)
from deskline.pbx.webhook.schema import EVENT_ADAPTER
from deskline.pbx.webhook.translate import WebhookTranslator

log = logging.getLogger(__name__)


class SimulatorAdapter:
    """A pretend PBX: its calls are scenarios."""

    kind: ClassVar[str] = "simulator"
    config_model: ClassVar[type[BaseModel]] = SimulatorConfig

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.translator = WebhookTranslator(config.default_country)
        self._sink: EventSink | None = None
        self._calls: set[asyncio.Task[None]] = set()
        self._closed = asyncio.Event()

    def __repr__(self) -> str:
        return f"SimulatorAdapter(calls={len(self._calls)})"

    async def run(self, sink: EventSink) -> None:
        self._sink = sink
        try:
            await self._closed.wait()
        finally:
            self._sink = None
            for task in self._calls:
                task.cancel()
            await asyncio.gather(*self._calls, return_exceptions=True)

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        sink = self._sink
        if sink is None:
            return OriginateResult(accepted=False, message="the simulator is not running")
        try:
            scenario = CallScenario(
                caller=extension,
                callee=number,
                outbound=True,
                answer_after=self.config.answer_after,
                talk=self.config.talk,
            )
        except ValueError as exc:
            return OriginateResult(accepted=False, message=str(exc))
        steps = build_steps(scenario, datetime.now(UTC), speed=self.config.speed)

        async def deliver(step: Step) -> None:
            await sink(self.translator.translate_one(EVENT_ADAPTER.validate_python(step.event)))

        task = asyncio.create_task(self._play(scenario.call_id, steps, deliver))
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)
        return OriginateResult(accepted=True, call_id=scenario.call_id, message="simulated call")

    async def _play(self, call_id: str, steps: list[Step], deliver: Deliver) -> None:
        try:
            await play(steps, deliver)
        except Exception:
            log.exception("simulated call %s failed", call_id)

    async def fetch_recording(self, ref: str, destination: Path) -> FetchedRecording:
        """A simulated call's recording: a generated one-second tone (8 kHz WAV)."""
        if not ref.startswith(SIMULATED_RECORDING_PREFIX):
            raise RecordingUnavailableError(f"{ref!r} is not a simulated recording")
        content = tone_wav()
        write_file(destination, content)
        return FetchedRecording("audio/wav", len(content))

    async def close(self) -> None:
        self._closed.set()


def _build(config: BaseModel) -> SimulatorAdapter:
    assert isinstance(config, SimulatorConfig)
    return SimulatorAdapter(config)


register_adapter(SimulatorAdapter.kind, SimulatorConfig, _build)
