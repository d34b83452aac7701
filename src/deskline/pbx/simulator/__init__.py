"""The built-in call simulator (kind ``simulator``); importing it registers the kind."""

from deskline.pbx.simulator.adapter import SimulatorAdapter
from deskline.pbx.simulator.config import SIMULATOR_CONNECTION, SimulatorConfig
from deskline.pbx.simulator.scenario import CallScenario, Step, build_steps

__all__ = [
    "SIMULATOR_CONNECTION",
    "CallScenario",
    "SimulatorAdapter",
    "SimulatorConfig",
    "Step",
    "build_steps",
]
