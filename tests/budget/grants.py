"""Checking the one promise of a budget: never more than ``limit`` grants in any window."""

from __future__ import annotations

from collections.abc import Iterable

_MICROS = 1_000_000


def most_in_any_window(times: Iterable[float], window: float) -> int:
    """The largest number of grants in any interval ``(t - window, t]``.

    Compared in whole microseconds: Redis stamps grants in milliseconds, and as floats near
    1.8e9 s ``t - 0.2`` is often a hair above a grant stamped exactly 200 ms before ``t``, which
    would count a grant that has already left the window.
    """
    ordered = sorted(round(moment * _MICROS) for moment in times)
    span = round(window * _MICROS)
    most = 0
    start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - span:
            start += 1
        most = max(most, end - start + 1)
    return most
