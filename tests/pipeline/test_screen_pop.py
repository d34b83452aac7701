"""The pop hub: a pop for an agent with no console open is held, and the agent's next
connection gets it, once per call, while it is fresh."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deskline.pipeline.contact_index import IndexedContact
from deskline.pipeline.screen_pop import HELD_PER_AGENT, PopHub, PopTrigger

CONTACT = IndexedContact("901", "Ada", "Lovelace", numbers=("+15135557611",))


@dataclass
class Tab:
    received: list[dict[str, Any]] = field(default_factory=list)
    broken: bool = False

    async def send(self, message: dict[str, Any]) -> None:
        if self.broken:
            raise ConnectionError("the tab is gone")
        self.received.append(message)

    def calls(self) -> list[str]:
        return [m["call_id"] for m in self.received]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def open_tab(hub: PopHub, extension: str = "2005") -> Tab:
    tab = Tab()
    await hub.catch_up(hub.connect(extension, tab.send))
    return tab


async def test_a_pop_for_an_agent_not_connected_reaches_the_next_connection() -> None:
    hub = PopHub()
    assert not await hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    assert not hub.was_popped("pbx:1", "2005")

    tab = await open_tab(hub)

    assert tab.calls() == ["pbx:1"]
    assert tab.received[0]["contact"]["name"] == "Ada Lovelace"
    assert tab.received[0]["trigger"] == "ringing"
    assert hub.was_popped("pbx:1", "2005")
    assert hub.held("2005") == []
    # popped now: the call's later triggers and a second tab do not pop it again
    assert not await hub.pop("pbx:1", PopTrigger.ANSWERED, "2005", CONTACT)
    assert (await open_tab(hub)).calls() == []
    assert tab.calls() == ["pbx:1"]


async def test_held_pops_go_to_their_own_agent_oldest_first() -> None:
    hub = PopHub()
    await hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    await hub.pop("pbx:2", PopTrigger.RINGING, "2006", None)
    await hub.pop("pbx:3", PopTrigger.ENDED, "2005", None)

    assert (await open_tab(hub, "2005")).calls() == ["pbx:1", "pbx:3"]
    assert (await open_tab(hub, "2006")).calls() == ["pbx:2"]


async def test_a_held_pop_expires() -> None:
    clock = Clock()
    hub = PopHub(hold_seconds=30, clock=clock)
    await hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    clock.now += 20
    await hub.pop("pbx:2", PopTrigger.RINGING, "2005", CONTACT)
    clock.now += 15  # pbx:1 was held 35 s, pbx:2 15 s

    assert [m["call_id"] for m in hub.held("2005")] == ["pbx:2"]
    assert (await open_tab(hub)).calls() == ["pbx:2"]


async def test_nothing_is_held_when_holding_is_off() -> None:
    hub = PopHub(hold_seconds=0)
    assert not await hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    assert hub.held("2005") == []
    assert (await open_tab(hub)).calls() == []


async def test_a_call_asked_to_pop_twice_while_away_is_held_once() -> None:
    hub = PopHub()
    await hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    await hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)  # the stored path, after early

    assert (await open_tab(hub)).calls() == ["pbx:1"]


async def test_an_agent_keeps_only_the_newest_held_pops() -> None:
    hub = PopHub()
    for number in range(HELD_PER_AGENT + 3):
        await hub.pop(f"pbx:{number}", PopTrigger.RINGING, "2005", None)

    newest = [f"pbx:{n}" for n in range(3, HELD_PER_AGENT + 3)]
    assert (await open_tab(hub)).calls() == newest


async def test_held_pops_wait_for_a_connection_that_can_take_them() -> None:
    hub = PopHub()
    await hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    await hub.pop("pbx:2", PopTrigger.RINGING, "2005", CONTACT)
    broken = Tab(broken=True)
    assert await hub.catch_up(hub.connect("2005", broken.send)) == 0
    assert hub.connected("2005") == 0  # the broken tab is forgotten

    assert (await open_tab(hub)).calls() == ["pbx:1", "pbx:2"]


async def test_a_connected_agent_gets_pops_at_once_and_nothing_is_held() -> None:
    hub = PopHub()
    tab = await open_tab(hub)
    assert await hub.pop("pbx:1", PopTrigger.RINGING, "2005", CONTACT)
    assert tab.calls() == ["pbx:1"]
    assert hub.held("2005") == []
