"""Contacts the contact sync (F8) could not copy into the phonebook group, and why.

A helpdesk contact without a first or last name, or without any phone number, cannot be
synced. The pipeline records each refusal with :func:`record_sync_problem`; the admin reads
them at ``GET /api/phonebook/sync-problems``. They are kept in ``settings_kv`` under the key
:data:`SYNC_PROBLEMS_KEY` (the newest :data:`MAX_PROBLEMS`, one per contact) and cleared on
disconnect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.repositories.settings import delete_setting, get_setting, put_setting
from deskline.store.types import utcnow

SYNC_PROBLEMS_KEY = "integration.contact_sync.problems"
MAX_PROBLEMS = 500


def sync_problem_reason(first_name: str | None, last_name: str | None, numbers: list[str]) -> str:
    """Why a contact cannot be synced ("" when it can)."""
    reasons = []
    if not (first_name or "").strip() and not (last_name or "").strip():
        reasons.append("it has no first or last name")
    if not any(n.strip() for n in numbers):
        reasons.append("it has no phone number")
    return " and ".join(reasons)


async def record_sync_problem(
    session: AsyncSession, remote_id: str, name: str | None, reason: str
) -> None:
    """Remember that contact ``remote_id`` could not be synced (replaces its older entry)."""
    problems = [p for p in await sync_problems(session) if p.get("remote_id") != remote_id]
    problems.insert(
        0,
        {"remote_id": remote_id, "name": name, "reason": reason, "at": utcnow().isoformat()},
    )
    await put_setting(session, SYNC_PROBLEMS_KEY, problems[:MAX_PROBLEMS])


async def clear_sync_problem(session: AsyncSession, remote_id: str) -> None:
    """The contact synced after all: forget its problem."""
    problems = await sync_problems(session)
    kept = [p for p in problems if p.get("remote_id") != remote_id]
    if len(kept) != len(problems):
        await put_setting(session, SYNC_PROBLEMS_KEY, kept)


async def sync_problems(session: AsyncSession) -> list[dict[str, Any]]:
    value = await get_setting(session, SYNC_PROBLEMS_KEY, [])
    return [p for p in value if isinstance(p, dict)] if isinstance(value, list) else []


async def clear_sync_problems(session: AsyncSession) -> None:
    await delete_setting(session, SYNC_PROBLEMS_KEY)
