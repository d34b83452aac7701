"""The simulator's recordings: a generated short WAV, so the recording flow runs without a PBX."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskline.pbx.recordings import RecordingUnavailableError
from deskline.pbx.simulator.adapter import SimulatorAdapter
from deskline.pbx.simulator.config import SimulatorConfig
from deskline.pbx.simulator.scenario import CallScenario, build_steps
from tests.calls.builders import T0


async def test_the_simulator_makes_a_short_wav(tmp_path: Path) -> None:
    adapter = SimulatorAdapter(SimulatorConfig(token="a-long-enough-token-123"))  # type: ignore[arg-type]
    fetched = await adapter.fetch_recording("sim-recording:sim-1.wav", tmp_path / "r.wav")
    data = (tmp_path / "r.wav").read_bytes()
    assert fetched.content_type == "audio/wav" and data[:4] == b"RIFF" and len(data) == fetched.size
    with pytest.raises(RecordingUnavailableError):
        await adapter.fetch_recording("/etc/passwd", tmp_path / "x.wav")


def test_answered_simulated_calls_carry_a_recording() -> None:
    answered = build_steps(CallScenario("+15135557611", "2005", call_id="sim-1"), T0)
    missed = build_steps(CallScenario("+15135557611", "2005", no_answer=True), T0)
    assert answered[-1].event["recording"] == "sim-recording:sim-1.wav"
    assert missed[-1].event["recording"] is None
