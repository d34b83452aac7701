"""Jobs that wait for the helpdesk (needs re-authorization, disabled) run as soon as the admin
has re-authorized or enabled it — not up to ``PipelineOptions.wait_seconds`` (30 s) later.
Found by ``tests/e2e/test_faults.py``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from deskline.outbox import enqueue
from deskline.store.models import Job
from deskline.store.types import utcnow
from tests.fakes.zendesk import RunningEmulator
from tests.fakes.zendesk.testing import zendesk, zendesk_server  # noqa: F401
from tests.integration.zendesk_setup import callback, connect_zendesk, consent, start_connect
from tests.web.conftest import Server
from tests.web.test_helpdesk_api import desk  # noqa: F401


async def waiting_job(server: Server, reason: str) -> int:
    """A job put back by the pipeline to wait 30 s for the helpdesk (as ``Waiting`` does)."""
    async with server.runtime.db.transaction() as session:
        job = await enqueue(session, "helpdesk.lookup", {"source": "pbx", "call_id": "c1"})
        await session.flush()
        await session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(run_after=utcnow() + timedelta(seconds=30), last_error=f"waiting: {reason}")
        )
        return job.id


async def due(server: Server, job_id: int) -> bool:
    async with server.runtime.db.read() as session:
        job = (await session.execute(select(Job).where(Job.id == job_id))).scalar_one()
    return job.run_after <= utcnow()


async def test_reauthorizing_releases_the_jobs_waiting_for_it(
    server: Server,
    desk: RunningEmulator,  # noqa: F811
) -> None:
    client = await connect_zendesk(server, desk)
    desk.emulator.revoke_tokens(client_id="deskline")
    await server.admin.post("/api/helpdesk/users/refresh")  # refused: needs re-authorization
    waiting = await waiting_job(server, "the helpdesk needs re-authorization: invalid_grant")
    other = await waiting_job(server, "something else entirely")
    assert not await due(server, waiting)

    start = await start_connect(server, client.fields)
    assert (await callback(server, await consent(start["authorization_url"]))).status_code == 200

    assert await due(server, waiting)
    assert not await due(server, other)


async def test_a_failed_callback_releases_nothing(
    server: Server,
    desk: RunningEmulator,  # noqa: F811
) -> None:
    await connect_zendesk(server, desk)
    waiting = await waiting_job(server, "the helpdesk needs re-authorization")

    refused = await callback(server, {"code": "x", "state": "forged"})

    assert refused.status_code == 400
    assert not await due(server, waiting)


async def test_enabling_releases_the_jobs_waiting_for_it(
    server: Server,
    desk: RunningEmulator,  # noqa: F811
) -> None:
    await connect_zendesk(server, desk)
    assert (await server.admin.post("/api/helpdesk/disable")).status_code == 200
    waiting = await waiting_job(server, "the helpdesk integration is disabled")

    assert (await server.admin.post("/api/helpdesk/enable")).status_code == 200

    assert await due(server, waiting)
