"""A Zendesk emulator that behaves like Zendesk for everything deskline uses.

It validates what it receives against Zendesk's official OpenAPI subset, and can be steered
(switches, faults, 429 storms, a manual clock) from Python or over ``/_emulator``. See
``docs/zendesk-emulator.md``.
"""

from tests.fakes.zendesk.clock import ManualClock, SystemClock
from tests.fakes.zendesk.config import EmulatorConfig
from tests.fakes.zendesk.emulator import ZendeskEmulator
from tests.fakes.zendesk.fixture import RunningEmulator, running_emulator

__all__ = [
    "EmulatorConfig",
    "ManualClock",
    "RunningEmulator",
    "SystemClock",
    "ZendeskEmulator",
    "running_emulator",
]
