"""Scale-out with real processes: two ``deskline serve`` and one ``deskline worker`` on one
PostgreSQL database and one Redis, the Zendesk emulator as the helpdesk.

Calls are sent to the simulator webhook of either serve process; the agent's WebSocket is open
on process B only. Every call is handled once (one ticket each, every job succeeded), the
agent gets one pop per call — also for the calls process A ingested, whether the pop was
decided by A's listener (a known caller) or by the worker's lookup job — and only one of the
two serve processes runs the simulator connection's adapter.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import func, select

from deskline.pipeline.agent_tokens import issue_agent_token
from deskline.store.db import Database
from deskline.store.models import Job, PbxConnection
from tests.budget.conftest import redis_url
from tests.fakes.zendesk import RunningEmulator, running_emulator
from tests.scaleout.cluster import (
    EXTENSION,
    SECRET_KEY,
    Cluster,
    call_batches,
    fresh_postgres,
    prepare_database,
    simulator_token,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

CALLS = 7
#: the last call comes from the first caller again: process A finds the contact in its local
#: index and decides the pop itself at ring time (the others are popped by the worker's lookup)
REPEATED_CALLER = 6
DEADLINE_SECONDS = 60


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        yield running


async def until(condition: Any, what: str, cluster: Cluster, seconds: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen\n{cluster.logs()}")
        await asyncio.sleep(0.1)


async def job_counts(db: Database) -> dict[str, int]:
    async with db.read() as session:
        rows = await session.execute(select(Job.state, func.count()).group_by(Job.state))
        return {state: int(count) for state, count in rows}


async def test_two_serve_processes_and_a_worker_share_the_work(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with fresh_postgres() as url:
        await prepare_database(url, emulator)
        cluster = Cluster(url, redis_url(), tmp_path)
        try:
            cluster.start_serve("A")
            cluster.start_serve("B")
            cluster.start_worker("W")
            await cluster.wait_ready()
            await run_calls(cluster, url, emulator)
        finally:
            await asyncio.to_thread(cluster.stop)


async def run_calls(cluster: Cluster, url: str, emulator: RunningEmulator) -> None:
    token = await simulator_token(url)
    agent = issue_agent_token(SECRET_KEY.encode(), EXTENSION)
    socket_url = cluster.base_url("B").replace("http", "ws") + f"/ws/agent?token={agent}"
    pops: list[dict[str, Any]] = []
    db = Database(url)
    async with (
        websockets.connect(socket_url) as socket,
        httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as http,
    ):
        hello = json.loads(await socket.recv())
        assert hello == {"type": "hello", "extension": EXTENSION}

        async def receive() -> None:
            async for text in socket:
                pops.append(json.loads(text))

        receiver = asyncio.create_task(receive())
        sent: dict[str, str] = {}
        try:
            for number in range(CALLS):
                process = "A" if number % 2 == 0 else "B"
                caller = 0 if number == REPEATED_CALLER else number
                call_id, ring, rest = call_batches(f"+1513555{7600 + caller:04d}")
                sent[call_id] = process
                target = f"{cluster.base_url(process)}/webhooks/pbx/simulator"
                assert (await http.post(target, json={"events": ring})).status_code == 200
                popped = f"simulator:{call_id}"

                async def arrived(key: str = popped) -> bool:
                    return any(p.get("call_id") == key for p in pops)

                await until(arrived, f"the pop of {call_id} (ingested by {process})", cluster)
                assert (await http.post(target, json={"events": rest})).status_code == 200

            async def all_done() -> bool:
                counts = await job_counts(db)
                return counts.get("pending", 0) + counts.get("running", 0) == 0 and bool(counts)

            async def all_tickets() -> bool:
                return len(emulator.emulator.state()["tickets"]) >= CALLS

            await until(all_tickets, "a ticket per call", cluster, DEADLINE_SECONDS)
            await until(all_done, "every job finished", cluster, DEADLINE_SECONDS)
            await asyncio.sleep(0.5)  # a duplicate would show up now
        finally:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)

    try:
        counts = await job_counts(db)
        assert counts.get("failed", 0) == 0, cluster.logs()
        tickets = emulator.emulator.state()["tickets"]
        assert len(tickets) == CALLS, tickets
        popped = [p["call_id"] for p in pops if p.get("type") == "pop"]
        assert sorted(popped) == sorted(f"simulator:{c}" for c in sent)  # once each
        assert {sent[c.split(":", 1)[1]] for c in popped} == {"A", "B"}
        async with db.read() as session:
            row = (
                await session.execute(
                    select(PbxConnection).where(PbxConnection.name == "simulator")
                )
            ).scalar_one()
        assert row.status == "connected"
        running = [
            "PBX connection simulator runs in another process" in "".join(p.stderr)
            for name, p in cluster.processes.items()
            if name in cluster.ports
        ]
        assert sorted(running) == [False, True]  # one runs the adapter, the other stands by
    finally:
        await db.dispose()
