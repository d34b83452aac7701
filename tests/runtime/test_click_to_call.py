"""The click-to-call debouncer: one originate per extension and number within the window,
shared by concurrent identical requests; refusals and the window's end allow a new call."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from pydantic import BaseModel

from deskline.errors import PbxActionError
from deskline.pbx.base import EventSink, OriginateResult
from deskline.phones import NumberNormaliser
from deskline.runtime.click_to_call import ClickToCall, ClickToCallError


class CountingAdapter:
    kind: ClassVar[str] = "counting"
    config_model: ClassVar[type[BaseModel]] = BaseModel

    def __init__(self, *, accept: bool = True, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, str]] = []
        self.accept = accept
        self.delay = delay

    async def run(self, sink: EventSink) -> None:
        pass

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        self.calls.append((extension, number))
        await asyncio.sleep(self.delay)
        if self.accept == "raise":
            raise PbxActionError("the PBX said no")
        return OriginateResult(accepted=self.accept, call_id=f"c{len(self.calls)}", message="ok")

    async def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dialer(clock: Clock) -> ClickToCall:
    return ClickToCall(NumberNormaliser("US"), window_seconds=5, clock=clock)


async def test_concurrent_identical_clicks_dial_once(dialer: ClickToCall) -> None:
    adapter = CountingAdapter(delay=0.05)
    outcomes = await asyncio.gather(
        *(dialer.dial(1, adapter, "2005", "555-123-4567") for _ in range(3))
    )
    assert adapter.calls == [("2005", "+15551234567")]
    assert [o.debounced for o in outcomes].count(False) == 1
    assert {o.result.call_id for o in outcomes} == {"c1"}


async def test_the_window_ends_and_other_numbers_are_separate(
    dialer: ClickToCall, clock: Clock
) -> None:
    adapter = CountingAdapter()
    await dialer.dial(1, adapter, "2005", "+15551234567")
    await dialer.dial(1, adapter, "2005", "+15550000000")
    await dialer.dial(1, adapter, "2006", "+15551234567")
    await dialer.dial(2, adapter, "2005", "+15551234567")  # another PBX
    clock.now += 4.9
    assert (await dialer.dial(1, adapter, "2005", "+15551234567")).debounced is True
    clock.now += 0.2
    assert (await dialer.dial(1, adapter, "2005", "+15551234567")).debounced is False
    assert len(adapter.calls) == 5


async def test_refused_and_failed_originates_are_not_remembered(dialer: ClickToCall) -> None:
    refusing = CountingAdapter(accept=False)
    await dialer.dial(1, refusing, "2005", "+15551234567")
    await dialer.dial(1, refusing, "2005", "+15551234567")
    assert len(refusing.calls) == 2
    raising = CountingAdapter()
    raising.accept = "raise"  # type: ignore[assignment]
    outcome = await dialer.dial(1, raising, "2005", "+15551234567")
    assert outcome.result.accepted is False and outcome.result.message == "the PBX said no"


def test_internal_numbers_stay_extensions_and_garbage_is_refused(dialer: ClickToCall) -> None:
    assert dialer.dialable(" 2005 ", "2006") == ("2005", "2006")
    with pytest.raises(ClickToCallError) as refused:
        dialer.dialable("2005", "anonymous")
    assert refused.value.status == 422
    with pytest.raises(ClickToCallError):
        dialer.dialable("not-an-ext", "+15551234567")
