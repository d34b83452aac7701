"""Zendesk requests per call: deskline's configuration next to the naive one.

    python bench/bench_zendesk_calls.py [--calls 100] [--seed 7]

Real processes: the Zendesk emulator and ``deskline serve`` (SQLite), connected by OAuth and
with four bound agents, like tests/e2e. A mix of 80 % returning callers (they called before,
so deskline's local contact index knows them) and 20 % new callers (never seen: searched,
then created as ``Automatic New Contact``), with after-call tickets and the call journal on for
every call type; the calls are 70 % inbound answered, 15 % inbound missed and 15 % outbound
answered. Requests are counted at the emulator (its request log: every ``/api/v2`` request
and OAuth token request), so nothing deskline does is missed.

- **deskline**: F9 off (the local index first), after-call tickets carrying the voice comment
  (one write per call).
- **naive**: F9 on (every call searches Zendesk), the ticket created before the call, the
  journal added separately when the call ends.

Target: at most 1.5 requests per call for deskline's configuration. Prints a table; bounded
(a few hundred calls through real processes; well under two minutes).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.stack import Stack

from deskline.pbx.simulator.scenario import CallScenario

EXTENSIONS = ("2005", "2006", "2007", "2009")
SPEED = 20.0
BATCH = 10
TARGET = 1.5
CONFIGS: dict[str, dict[str, Any]] = {
    "deskline": {"always_query_helpdesk": False, "tickets": {"timing": "after_call"}},
    "naive": {"always_query_helpdesk": True, "tickets": {"timing": "before_call"}},
}


@dataclass(frozen=True)
class Run:
    name: str
    calls: int
    returning: int
    requests: Counter[str]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def per_call(self) -> float:
        return self.total / self.calls


def scenario(number: str, rng: random.Random) -> CallScenario:
    extension = rng.choice(EXTENSIONS)
    kind = rng.random()
    if kind < 0.70:
        return CallScenario(caller=number, callee=extension, answer_after=1.0, talk=2.0)
    if kind < 0.85:
        return CallScenario(caller=number, callee=extension, answer_after=2.0, no_answer=True)
    return CallScenario(caller=extension, callee=number, outbound=True, answer_after=1, talk=2)


def numbers(prefix: int, count: int) -> list[str]:
    return [f"+1513{prefix:03d}{n:04d}" for n in range(count)]


def play_all(stack: Stack, scenarios: list[CallScenario]) -> None:
    for start in range(0, len(scenarios), BATCH):
        stack.play(*scenarios[start : start + BATCH], speed=SPEED)
    stack.wait_quiet()


def measure(stack: Stack, name: str, calls: int, rng: random.Random, prefix: int) -> Run:
    stack.put_settings(**CONFIGS[name])
    returning_pool = numbers(prefix, max(1, calls // 5))
    new_numbers = iter(numbers(prefix + 1, calls))
    for number in returning_pool:  # Zendesk knows them...
        stack.zendesk.add_user(f"Caller {number}", phone=number)
    # ...and they called before, so deskline's index knows them too (not measured)
    play_all(stack, [scenario(n, rng) for n in returning_pool])

    returning_flags = [n < round(calls * 0.8) for n in range(calls)]  # exactly 80 %
    rng.shuffle(returning_flags)
    mix = []
    for returning in returning_flags:
        number = rng.choice(returning_pool) if returning else next(new_numbers)
        mix.append((returning, scenario(number, rng)))
    stack.zendesk.clear_requests()
    started = time.monotonic()
    play_all(stack, [s for _, s in mix])
    seconds = time.monotonic() - started
    requests = Counter(
        f"{r['method']} {_shape(r['path'])}"
        for r in stack.zendesk.requests()
        if r["path"].startswith(("/api/v2/", "/oauth/"))
    )
    return Run(name, calls, sum(1 for returning, _ in mix if returning), requests, seconds)


def _shape(path: str) -> str:
    parts = ["{id}" if p.split(".")[0].isdigit() else p for p in path.split("/")]
    return "/".join(parts)


def report(runs: list[Run]) -> None:
    print()
    print(f"{'configuration':<14}{'calls':>7}{'returning':>11}{'requests':>10}"
          f"{'per call':>10}{'seconds':>9}")  # fmt: skip
    for run in runs:
        print(f"{run.name:<14}{run.calls:>7}{run.returning:>11}{run.total:>10}"
              f"{run.per_call:>10.2f}{run.seconds:>9.1f}")  # fmt: skip
    for run in runs:
        print(f"\n{run.name}: " + ", ".join(f"{k} ×{v}" for k, v in sorted(run.requests.items())))
    deskline = runs[0]
    verdict = "meets" if deskline.per_call <= TARGET else "MISSES"
    print(f"\ndeskline {deskline.per_call:.2f} requests per call {verdict} the target ≤ {TARGET}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="measured calls per configuration")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not 10 <= args.calls <= 1000:
        parser.error("--calls must be between 10 and 1000")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-zendesk-") as workdir:
        stack = Stack.start(Path(workdir))
        try:
            runs = [
                measure(stack, name, args.calls, rng, prefix=210 + 10 * index)
                for index, name in enumerate(CONFIGS)
            ]
        finally:
            stack.close()
    report(runs)


if __name__ == "__main__":
    main()
