"""The test helper that checks a budget's promise counts window boundaries exactly."""

from __future__ import annotations

from tests.budget.grants import most_in_any_window


def test_a_grant_exactly_one_window_earlier_has_left_it() -> None:
    # 1795327312.9 <= 1795327313.1 - 0.2 is False in floats; the grant has still left
    first = 1_795_327_312_900 / 1000
    assert first > 1_795_327_313_100 / 1000 - 0.2
    assert most_in_any_window([first, 1_795_327_312_901 / 1000, 1_795_327_313_100 / 1000], 0.2) == 2


def test_grants_inside_one_window_are_all_counted() -> None:
    times = [100.0, 100.05, 100.1, 100.199, 100.3]
    assert most_in_any_window(times, 0.2) == 4
