"""Ring-to-pop latency on the agent WebSocket, at a steady call rate.

    python bench/bench_pop_latency.py [--rates 5,10,20] [--seconds 8]

Real processes: the Zendesk emulator and ``deskline serve`` (SQLite), connected by OAuth and
with four bound agents whose consoles are connected to ``/ws/agent`` (pop on ringing), like
tests/e2e. The callers are returning callers: they called before, so deskline's local contact
index knows them and the pop needs no Zendesk request. After-call tickets with the journal are
on, so the outbox worker writes to Zendesk in the same process meanwhile, as in production.

Each call's ring event is POSTed to the simulator connection's webhook at each of ``--rates``
calls per second in turn (the answer 0.3 s and the hangup with its CDR 1 s later); the latency
is from just before the ring's POST to the moment the agent's WebSocket client has read the
call's pop (one clock, this process). Prints p50/p95/p99/max and the count per rate. Target:
p99 under 25 ms at 20 calls/s. Bounded: each rate's calls start within ``--seconds``; the
whole run takes about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.agent_socket import AgentSocket
from tests.e2e.stack import SIMULATOR, SIMULATOR_TOKEN, Stack

from deskline.pbx.simulator.scenario import CallScenario, Step, build_steps

EXTENSIONS = ("2005", "2006", "2007", "2009")
CALLERS = 60
TARGET_P99_MS = 25.0


@dataclass(frozen=True)
class Sent:
    call_key: str
    extension: str
    at: float


def call(n: int) -> CallScenario:
    return CallScenario(
        caller=f"+1513230{n % CALLERS:04d}",
        callee=EXTENSIONS[n % len(EXTENSIONS)],
        answer_after=0.3,
        talk=0.7,
    )


async def run_calls(base_url: str, scenarios: list[CallScenario], rate: float) -> list[Sent]:
    """Start one call every 1/rate s; the ring is timed, the rest follows in the background."""
    url = f"{base_url}/webhooks/pbx/{SIMULATOR}"
    headers = {"Authorization": f"Bearer {SIMULATOR_TOKEN}"}
    sent: list[Sent] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as client:

        async def post(step: Step) -> None:
            answer = await client.post(url, json=step.event)
            answer.raise_for_status()

        async def one(scenario: CallScenario) -> None:
            steps = build_steps(scenario, datetime.now(UTC))
            ring, rest = steps[0], steps[1:]
            sent.append(
                Sent(f"{SIMULATOR}:{scenario.call_id}", scenario.callee, time.perf_counter())
            )
            await post(ring)
            started = time.monotonic()
            for step in rest:
                await asyncio.sleep(max(0.0, started + step.offset - time.monotonic()))
                await post(step)

        tasks = []
        begin = time.monotonic()
        for index, scenario in enumerate(scenarios):
            await asyncio.sleep(max(0.0, begin + index / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(scenario)))
        await asyncio.gather(*tasks)
    return sent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass(frozen=True)
class Result:
    rate: float
    calls: int
    latencies_ms: list[float]

    @property
    def missing(self) -> int:
        return self.calls - len(self.latencies_ms)

    def row(self) -> str:
        values = self.latencies_ms or [float("nan")]
        return (
            f"{self.rate:>7.0f}{self.calls:>7}{len(self.latencies_ms):>7}{self.missing:>9}"
            f"{statistics.median(values):>9.1f}{percentile(values, 0.95):>9.1f}"
            f"{percentile(values, 0.99):>9.1f}{max(values):>9.1f}"
        )


def measure(stack: Stack, consoles: dict[str, AgentSocket], rate: float, seconds: float,
            first: int) -> Result:  # fmt: skip
    scenarios = [call(n) for n in range(first, first + int(rate * seconds))]
    sent = asyncio.run(run_calls(stack.deskline.base_url, scenarios, rate))
    stack.wait_quiet()  # every pop is out once the calls are done
    received = {
        (r.message["call_id"], r.message["extension"]): r.at
        for console in consoles.values()
        for r in console.snapshot()
        if r.message.get("type") == "pop"
    }
    latencies = [
        (received[(s.call_key, s.extension)] - s.at) * 1000
        for s in sent
        if (s.call_key, s.extension) in received
    ]
    return Result(rate, len(sent), latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rates", default="5,10,20", help="calls per second, one run each (comma-separated)"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="how long calls start, per run")
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="run the outbox worker as its own process (DESKLINE_IN_PROCESS_WORKER=false)",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if not rates or not all(0 < r <= 100 for r in rates) or not 1 <= args.seconds <= 30:
        parser.error("rates must be in (0, 100] and --seconds in [1, 30]")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-pop-") as workdir:
        settings = {"in_process_worker": "false"} if args.separate_worker else {}
        stack = Stack.start(Path(workdir), settings=settings)
        if args.separate_worker:
            stack.deskline.start_worker()
        try:
            stack.put_settings()  # after-call tickets with the journal, contacts created
            consoles = {extension: stack.agent(extension) for extension in EXTENSIONS}
            # every caller calls once first: deskline's local index knows them afterwards
            stack.play(*[call(n) for n in range(CALLERS)], speed=5.0)
            stack.wait_quiet()
            first = CALLERS
            for rate in rates:
                results.append(measure(stack, consoles, rate, args.seconds, first))
                first += results[-1].calls
        finally:
            stack.close()
    worker = "a separate process" if args.separate_worker else "in the serve process"
    print(f"\nthe outbox worker runs {worker}")
    print(f"{'rate/s':>7}{'calls':>7}{'pops':>7}{'missing':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'max ms':>9}")  # fmt: skip
    for result in results:
        print(result.row())
    for result in results:
        if result.rate == 20:
            p99 = percentile(result.latencies_ms or [float("inf")], 0.99)
            verdict = "meets" if p99 < TARGET_P99_MS and not result.missing else "MISSES"
            print(
                f"\nat 20 calls/s: p99 {p99:.1f} ms {verdict} the target < {TARGET_P99_MS:.0f} ms"
            )


if __name__ == "__main__":
    main()
