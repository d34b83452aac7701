"""Call plans, percentiles and the targets' verdicts."""

from __future__ import annotations

from bench.harness.calls import phone_number, plan_calls
from bench.harness.report import rows, verdict
from bench.harness.stats import percentile

from deskline.phones import NumberNormaliser
from deskline.pipeline.contact_index import TAIL_DIGITS


def test_the_plan_mixes_returning_and_new_callers_with_distinct_numbers() -> None:
    calls = plan_calls(200, ("2005", "2006"), returning_share=0.8)
    assert sum(c.returning for c in calls) == 160
    assert len({c.number for c in calls}) == 200
    assert {c.extension for c in calls} == {"2005", "2006"}
    known_tails = {c.number[-TAIL_DIGITS:] for c in calls if c.returning}
    assert not any(c.number[-TAIL_DIGITS:] in known_tails for c in calls if not c.returning)


def test_generated_numbers_are_valid_e164() -> None:
    normaliser = NumberNormaliser("US")
    for index in (0, 9_999, 10_000, 7_899_999, 7_900_000, 99_999):
        number = phone_number(index)
        assert normaliser.normalise(number).e164 == number
    assert len({phone_number(i) for i in range(0, 200_000, 7)}) == len(range(0, 200_000, 7))


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) is None


def test_targets_are_judged_both_ways_and_faults_need_zero_and_zero() -> None:
    assert verdict(151.0, {"min": 150}) == "met"
    assert verdict(12.0, {"min": 150}) == "MISSED"
    assert verdict(26.0, {"max": 25}) == "MISSED"
    assert verdict(None, {"max": 25}) == "no figure"
    table = rows(
        {
            "calls_per_second": 12.0,
            "fault_429_storm": {"lost": 0, "duplicated": 0},
            "fault_worker_sigkill": {"lost": 0, "duplicated": 1},
            "fault_postgres_restart": {"error": "RuntimeError: initdb failed"},
        }
    )
    assert [(r[0], r[3]) for r in table] == [
        ("calls_per_second", "MISSED"),
        ("fault_429_storm", "met"),
        ("fault_worker_sigkill", "MISSED"),
        ("fault_postgres_restart", "RuntimeError: initdb failed"),
    ]


def test_suite_settings_reach_every_installation_and_explicit_ones_win() -> None:
    import pytest
    from bench.harness import installation
    from bench.suite import parse_settings

    assert parse_settings(["sqlite_threads=true", "DESKLINE_LOG_LEVEL=DEBUG"]) == {
        "sqlite_threads": "true",
        "log_level": "DEBUG",
    }
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        parse_settings(["sqlite_threads"])
    saved = dict(installation.SUITE_SETTINGS)
    try:
        installation.SUITE_SETTINGS.update({"sqlite_threads": "true", "worker_concurrency": "4"})
        topology = installation.Topology(extra={"worker_concurrency": "2"})
        assert topology.settings()["sqlite_threads"] == "true"
        assert topology.settings()["worker_concurrency"] == "2"
    finally:
        installation.SUITE_SETTINGS.clear()
        installation.SUITE_SETTINGS.update(saved)


def test_the_throughput_driver_can_offer_far_more_than_the_target() -> None:
    """Calls in flight hold their slot for ring + talk: 40 of them offered at most 80 calls/s,
    so a deskline able to take 150 could not have shown it."""
    from bench.harness.driver import CallDriver
    from bench.harness.report import TARGETS
    from bench.harness.scenarios.sizes import FULL, QUICK

    driver = CallDriver("http://127.0.0.1:1/", "token")
    target = TARGETS["calls_per_second"]["min"]
    for sizes in (FULL, QUICK):
        assert driver.ceiling(sizes.throughput_concurrency) >= 2 * target
    assert driver.ceiling(40) == 80.0
