"""Did every call get its work done exactly once? Counted against the emulator's users, tickets
and voice comments, and against deskline's own records (its calls and outbox jobs, read from
its database).

A call is **lost** when deskline has no decided record of it, or the emulator has no ticket or
no call journal for its number; **duplicated** when there are two or more tickets, journals,
end-users (a contact created twice) or call records for it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.harness.driver import DrivenCall
from sqlalchemy import func, select

from deskline.store.db import Database
from deskline.store.models import CallRecord, Job

SOURCE = "simulator"
OPEN_STATES = ("pending", "running")
TICKET_KINDS = ("helpdesk.create_ticket", "helpdesk.call_journal")


@dataclass
class JobFigures:
    by_state: dict[str, int] = field(default_factory=dict)
    last_ticket_finished: datetime | None = None
    failed_reasons: list[str] = field(default_factory=list)

    @property
    def open(self) -> int:
        return sum(self.by_state.get(s, 0) for s in OPEN_STATES)


async def job_figures(db: Database) -> JobFigures:
    async with db.read() as session:
        rows = (await session.execute(select(Job.state, func.count()).group_by(Job.state))).all()
        last = (
            await session.execute(
                select(func.max(Job.finished_at)).where(
                    Job.kind.in_(TICKET_KINDS), Job.state == "succeeded"
                )
            )
        ).scalar()
        reasons = (
            await session.execute(
                select(Job.kind, Job.last_error).where(Job.state == "failed").limit(5)
            )
        ).all()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return JobFigures(
        {str(state): int(count) for state, count in rows},
        last,
        [f"{kind}: {(error or '')[:160]}" for kind, error in reasons],
    )


async def decided_calls(db: Database, call_ids: Sequence[str]) -> Counter[str]:
    """How many decided call records deskline holds per call id."""
    found: Counter[str] = Counter()
    async with db.read() as session:
        for start in range(0, len(call_ids), 500):
            chunk = list(call_ids[start : start + 500])
            rows = await session.execute(
                select(CallRecord.pbx_call_id).where(
                    CallRecord.source == SOURCE,
                    CallRecord.pbx_call_id.in_(chunk),
                    CallRecord.status.is_not(None),
                )
            )
            found.update(str(r) for r in rows.scalars())
    return found


@dataclass
class Drained:
    complete: bool
    seconds: float
    jobs: JobFigures


async def wait_drained(
    database_url: str,
    call_ids: Sequence[str],
    *,
    seconds: float,
    every: float = 0.5,
    gave_up: Callable[[], bool] = lambda: False,
) -> Drained:
    """Until every call is decided and no job is pending or running (or ``seconds`` pass, or
    ``gave_up()``: nothing is left that could finish them). Database errors (a restarting
    server) are waited out."""
    db = Database(database_url)
    started = time.monotonic()
    figures = JobFigures()
    try:
        while True:
            try:
                figures = await job_figures(db)
                if figures.open == 0:
                    decided = await decided_calls(db, call_ids)
                    if all(decided[c] for c in call_ids):
                        # enqueued in the transaction that decided the last call: look again
                        figures = await job_figures(db)
                        if figures.open == 0:
                            return Drained(True, time.monotonic() - started, figures)
            except Exception:
                pass
            if time.monotonic() - started > seconds or gave_up():
                return Drained(False, time.monotonic() - started, figures)
            await asyncio.sleep(every)
    finally:
        await db.dispose()


@dataclass
class Audit:
    calls: int
    lost: int
    duplicated: int
    problems: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "problems": dict(self.problems),
            "examples": self.examples[:5],
        }


def audit(calls: Sequence[DrivenCall], state: dict[str, Any], records: Counter[str]) -> Audit:
    """Each call: one deskline record, one end-user, one ticket, one journal."""
    tickets_of: dict[str, list[dict[str, Any]]] = {}
    number_in_subject = re.compile(r"\+\d{8,15}")
    for ticket in state["tickets"]:
        for number in set(number_in_subject.findall(ticket.get("subject") or "")):
            tickets_of.setdefault(number, []).append(ticket)
    users_of = Counter(u.get("phone") for u in state["users"] if u.get("role") == "end-user")
    result = Audit(len(calls), 0, 0)
    for call in calls:
        number = call.planned.number
        tickets = tickets_of.get(number, [])
        journals = sum(
            1 for t in tickets for c in t.get("comments", []) if c.get("type") == "VoiceComment"
        )
        counts = {
            "record": records[call.call_id],
            "user": users_of[number],
            "ticket": len(tickets),
            "journal": journals,
        }
        missing = [name for name, n in counts.items() if n == 0]
        twice = [name for name, n in counts.items() if n > 1]
        if call.error:
            missing.append("delivery")
        if missing:
            result.lost += 1
            result.problems.update(f"no {name}" for name in missing)
            result.examples.append(f"{number} ({call.call_id}): no {', '.join(missing)}")
        if twice:
            result.duplicated += 1
            result.problems.update(f"{name} x{counts[name]}" for name in twice)
            result.examples.append(f"{number} ({call.call_id}): {counts}")
    return result


async def audit_installation(
    database_url: str, calls: Sequence[DrivenCall], state: dict[str, Any]
) -> Audit:
    db = Database(database_url)
    try:
        records = await decided_calls(db, [c.call_id for c in calls if c.call_id])
    finally:
        await db.dispose()
    return audit(calls, state, records)


_ID = re.compile(r"/\d+(?=/|\.json|$)")


def request_kinds(requests: Sequence[dict[str, Any]]) -> Counter[str]:
    """The emulator's API requests by ``METHOD /path`` with ids replaced (OAuth not counted)."""
    kinds: Counter[str] = Counter()
    for request in requests:
        path = str(request["path"])
        if path.startswith("/api/v2/"):
            kinds[f"{request['method']} {_ID.sub('/{id}', path.removesuffix('.json'))}"] += 1
    return kinds
