"""Database session benchmark: what a transaction costs around the statements it runs, on
the inline SQLite driver (deskline's default): SQLAlchemy's sessions and connections against
the direct transactions the job's hot transactions use (deskline.store.direct_transaction;
docs/benchmarks.md).

    python bench/bench_sessions.py [--rounds 6] [--count 2000]

Each shape runs ``count`` times per round, the shapes interleaved round by round (so a machine
that changes speed meanwhile slows them alike); the best round of each is printed, in µs of
process CPU time, next to the machine's speed (the bench suite's fixed loop). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.procstats import machine_speed_ms

from deskline.pipeline.actions import actions_of_call
from deskline.runtime import event_loop
from deskline.store.db import Database

Shape = Callable[[Database], Awaitable[None]]


async def read_session(db: Database) -> None:
    async with db.read() as session:
        await actions_of_call(session, "bench", "call")


async def empty_read_session(db: Database) -> None:
    async with db.read():
        pass


async def write_session(db: Database) -> None:
    async with db.transaction() as session:
        await actions_of_call(session, "bench", "call")


async def connection_read(db: Database) -> None:
    async with db.engine.connect() as connection:
        await actions_of_call(connection, "bench", "call")  # type: ignore[arg-type]


async def direct_read(db: Database) -> None:
    async with db.direct_read() as on:
        await actions_of_call(on, "bench", "call")


async def direct_write(db: Database) -> None:
    async with db.direct_transaction() as on:
        await actions_of_call(on, "bench", "call")


SHAPES: dict[str, Shape] = {
    "read session, no statement": empty_read_session,
    "read session + 1 statement": read_session,
    "write session + 1 statement": write_session,
    "SQLAlchemy connection + 1 statement": connection_read,
    "direct read + 1 statement": direct_read,
    "direct write + 1 statement": direct_write,
}


async def measure(rounds: int, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        db = Database(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
        try:
            await db.upgrade()
            best: dict[str, float] = {}
            async with db.read() as open_session:
                for _ in range(rounds):
                    started = time.process_time()
                    for _ in range(count):
                        await actions_of_call(open_session, "bench", "call")
                    alone = (time.process_time() - started) / count * 1e6
                    best["1 statement in an open session"] = min(
                        best.get("1 statement in an open session", alone), alone
                    )
                    for name, shape in SHAPES.items():
                        started = time.process_time()
                        for _ in range(count):
                            await shape(db)
                        took = (time.process_time() - started) / count * 1e6
                        best[name] = min(best.get(name, took), took)
            return best
        finally:
            await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    speed = machine_speed_ms()
    best = event_loop.run(measure(args.rounds, args.count))
    print(f"machine speed (fixed loop): {speed:.1f} ms before")
    for name, micros in best.items():
        print(f"{name:40s} {micros:8.1f} µs")
    print(f"machine speed (fixed loop): {machine_speed_ms():.1f} ms after")


if __name__ == "__main__":
    main()
