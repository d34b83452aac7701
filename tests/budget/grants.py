"""Checking the one promise of a budget: never more than ``limit`` grants in any window."""

from __future__ import annotations

from collections.abc import Iterable


def most_in_any_window(times: Iterable[float], window: float) -> int:
    """The largest number of grants in any interval ``(t - window, t]``."""
    ordered = sorted(times)
    most = 0
    start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1
        most = max(most, end - start + 1)
    return most
