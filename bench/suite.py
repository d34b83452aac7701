"""The load and fault suite: deskline and the Zendesk emulator as real processes on 127.0.0.1,
driven like a PBX and agents do; prints a table and writes ``bench/results.json``.

    python bench/suite.py            # full run (about 15 minutes on 2 cores)
    python bench/suite.py --quick    # smaller counts and shorter faults (a few minutes)
    python bench/suite.py --only calls_per_second --only fault_429_storm --output /tmp/r.json

Needs PostgreSQL on 127.0.0.1:5432 (``DESKLINE_BENCH_POSTGRES_URL`` to change it; a fresh
database is created and dropped per scenario), its server binaries (``initdb``, ``pg_ctl``) for
the private instance the restart fault uses, and ``redis-server``. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.harness import installation  # noqa: E402
from bench.harness.procstats import load_average, machine_speed_ms  # noqa: E402
from bench.harness.report import TARGETS, table  # noqa: E402
from bench.harness.scenarios import budget, faults, latency, memory, throughput  # noqa: E402
from bench.harness.scenarios.sizes import FULL, QUICK, Sizes  # noqa: E402

Scenario = Callable[[Path, Sizes], dict[str, Any]]

SCENARIOS: dict[str, Scenario] = {
    "calls_per_second": throughput.sqlite_single,
    "calls_per_second_postgres": throughput.postgres_two_workers,
    "pop_latency": latency.pop_latency,
    "requests_per_call": budget.requests_per_call,
    "rss_mb_100k_contacts": memory.rss_with_contacts,
    "fault_worker_sigkill": faults.worker_sigkill,
    "fault_helpdesk_down_60s": faults.helpdesk_down,
    "fault_429_storm": faults.storm_429,
    "fault_postgres_restart": faults.postgres_restart,
    "fault_redis_unavailable": faults.redis_unavailable,
}
FAULTS = {name for name in SCENARIOS if name.startswith("fault_")}


def run_scenario(name: str, workdir: Path, sizes: Sizes) -> dict[str, Any]:
    """One scenario's figures; a scenario that breaks reports its error instead."""
    started, load_before, speed_before = time.monotonic(), load_average(), machine_speed_ms()
    try:
        figures = SCENARIOS[name](workdir, sizes)
    except Exception as exc:
        traceback.print_exc()
        figures = {"error": f"{type(exc).__name__}: {str(exc)[:2000]}"}
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["load_average"] = [round(load_before, 2), round(load_average(), 2)]
    figures["machine_speed_ms"] = [speed_before, machine_speed_ms()]
    return figures


def merge(results: dict[str, Any], name: str, figures: dict[str, Any]) -> None:
    """Headline figures at the top level; faults (and every detail) under the scenario's name."""
    if name in FAULTS:
        results[name] = figures
        return
    details = {
        **figures.get("detail", {}),
        **{k: v for k, v in figures.items() if k not in TARGETS and k != "detail"},
    }
    for key, value in figures.items():
        if key in TARGETS:
            results[key] = value
    results.setdefault("details", {})[name] = details


def git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO, capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except OSError:
        return None
    return done.stdout.strip() or None


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``["sqlite_threads=true"]`` → ``{"sqlite_threads": "true"}``."""
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"--setting {pair!r}: expected NAME=VALUE")
        settings[name.strip().lower().removeprefix("deskline_")] = value
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller, shorter runs")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), default=None)
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results.json")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="update the scenarios run in an existing output file, keep the others",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a DESKLINE_* setting for every deskline process (lower-case name without the "
        "prefix), e.g. --setting sqlite_threads=true to compare a configuration",
    )
    args = parser.parse_args(argv)
    installation.SUITE_SETTINGS.update(parse_settings(args.setting))

    sizes = QUICK if args.quick else FULL
    names = args.only or list(SCENARIOS)
    workdir = Path(tempfile.mkdtemp(prefix="deskline-bench-"))
    os.chmod(workdir, 0o755)  # the private PostgreSQL runs as the postgres user
    results: dict[str, Any] = {
        "suite": {
            "mode": sizes.name,
            "scenarios": names,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "git_commit": git_commit(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "sizes": {k: v for k, v in vars(sizes).items() if k != "name"},
            "settings": dict(installation.SUITE_SETTINGS),
        },
        "targets": TARGETS,
    }
    if args.merge and args.output.exists():
        previous = json.loads(args.output.read_text())
        results = {**previous, "targets": TARGETS, "suite": previous.get("suite", {})}
        results["suite"].setdefault("reruns", []).append(
            {"scenarios": names, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "git_commit": git_commit(), "mode": sizes.name,
             "settings": dict(installation.SUITE_SETTINGS)}
        )  # fmt: skip
    started = time.monotonic()
    try:
        for name in names:
            print(f"--- {name} ({sizes.name})", flush=True)
            figures = run_scenario(name, workdir, sizes)
            merge(results, name, figures)
            print(json.dumps(figures, default=str)[:600], flush=True)
    finally:
        if not args.merge:
            results["suite"]["seconds"] = round(time.monotonic() - started, 1)
        args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(results))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
