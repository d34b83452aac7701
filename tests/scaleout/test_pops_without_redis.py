"""Screen pops from a separate ``deskline worker`` without Redis, with real processes: one
``deskline serve`` (its outbox worker off) and one ``deskline worker`` on one database (a SQLite
file, or PostgreSQL), the Zendesk emulator as the helpdesk, no ``DESKLINE_REDIS_URL``.

New callers are unknown to the local index, so their pops are decided by the worker's lookup
jobs; they reach the agent's WebSocket on serve through the database, once per call."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from deskline.pipeline.agent_tokens import issue_agent_token
from deskline.store.db import Database
from tests.fakes.zendesk import RunningEmulator, running_emulator
from tests.scaleout.cluster import (
    EXTENSION,
    SECRET_KEY,
    Cluster,
    call_batches,
    fresh_postgres,
    migrate,
    prepare_database,
    simulator_token,
)
from tests.scaleout.test_processes import job_counts, until

pytestmark = [pytest.mark.slow]

CALLS = 3


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        yield running


@asynccontextmanager
async def database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "postgres":
        async with fresh_postgres() as url:
            yield url
        return
    url = f"sqlite+aiosqlite:///{tmp_path}/deskline.db"
    await migrate(url)
    yield url


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_separate_workers_pops_reach_the_agent_through_the_database(
    kind: str, emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with database(kind, tmp_path) as url:
        await prepare_database(url, emulator)
        cluster = Cluster(url, "", tmp_path)
        try:
            cluster.start_serve("S")
            cluster.start_worker("W")
            await cluster.wait_ready()
            await place_calls(cluster, url)
        finally:
            await asyncio.to_thread(cluster.stop)


async def place_calls(cluster: Cluster, url: str) -> None:
    token = await simulator_token(url)
    agent = issue_agent_token(SECRET_KEY.encode(), EXTENSION)
    socket_url = cluster.base_url("S").replace("http", "ws") + f"/ws/agent?token={agent}"
    target = f"{cluster.base_url('S')}/webhooks/pbx/simulator"
    messages: list[dict[str, Any]] = []
    db = Database(url)
    try:
        async with (
            websockets.connect(socket_url) as socket,
            httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as http,
        ):
            assert json.loads(await socket.recv())["type"] == "hello"

            async def receive() -> None:
                async for text in socket:
                    messages.append(json.loads(text))

            receiver = asyncio.create_task(receive())
            sent = []
            try:
                for number in range(CALLS):
                    call_id, ring, rest = call_batches(f"+1513555{7700 + number:04d}")
                    sent.append(f"simulator:{call_id}")
                    assert (await http.post(target, json={"events": ring})).status_code == 200

                    async def popped(key: str = sent[-1]) -> bool:
                        return any(m.get("call_id") == key for m in messages)

                    await until(popped, f"the pop of {call_id}", cluster)
                    assert (await http.post(target, json={"events": rest})).status_code == 200

                async def all_done() -> bool:
                    counts = await job_counts(db)
                    return counts.get("pending", 0) + counts.get("running", 0) == 0

                await until(all_done, "every job finished", cluster, 60)
                await asyncio.sleep(0.6)  # a duplicate pop would arrive now
            finally:
                receiver.cancel()
                await asyncio.gather(receiver, return_exceptions=True)
        pops = [m["call_id"] for m in messages if m.get("type") == "pop"]
        assert sorted(pops) == sorted(sent), cluster.logs()  # each once
        assert (await job_counts(db)).get("failed", 0) == 0, cluster.logs()
    finally:
        await db.dispose()
