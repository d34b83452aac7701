"""A claim on SQLite walks the jobs in the claim's order and stops at its limit: however many
jobs are due, it never sorts them all."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert

from deskline.store.db import Database
from deskline.store.direct import _arguments
from deskline.store.models import Job
from deskline.store.repositories import job_claims
from deskline.store.types import utcnow


async def test_the_claim_walks_the_claim_order_index_without_sorting(sqlite_db: Database) -> None:
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "kind": "k",
            "payload": {},
            "ordering_key": f"call:{n}",
            "idempotency_key": None,
            "priority": 10 if n % 7 == 0 else 0,
            "state": "pending" if n % 3 else "succeeded",
            "attempts": 0,
            "max_attempts": 3,
            "run_after": now,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(300)
    ]
    async with sqlite_db.transaction() as session:
        await session.execute(insert(cast(Table, Job.__table__)), rows)
    compiled = job_claims._DUE.compiled(sqlite_db.engine.dialect)
    arguments = _arguments(compiled, {"now": now, "limit": 8})
    async with sqlite_db.engine.connect() as connection:
        plan = [
            str(row[3])
            for row in await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled.sql}", tuple(arguments)
            )
        ]
    assert any("USING INDEX ix_jobs_state_priority_id" in step for step in plan), plan
    assert not [step for step in plan if "TEMP B-TREE" in step or step.startswith("SCAN")], plan
    async with sqlite_db.transaction() as session:
        claimed = await job_claims.claim_due(session, "w", limit=8, lease_seconds=30, now=now)
    pending = [n for n in range(300) if n % 3]
    expected = sorted(pending, key=lambda n: (-(10 if n % 7 == 0 else 0), n))[:8]
    assert [job.id for job in claimed] == [n + 1 for n in expected]
