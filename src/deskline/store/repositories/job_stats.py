"""Figures about the outbox for the admin's status page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import Job, JobState


async def oldest_pending_since(session: AsyncSession) -> datetime | None:
    """When the oldest job still waiting to run was created (None: nothing is waiting).

    ``min()`` keeps the column's type, so the value comes back as an aware UTC datetime."""
    statement = select(func.min(Job.created_at)).where(Job.state == JobState.PENDING.value)
    value: datetime | None = (await session.execute(statement)).scalar_one_or_none()
    return value
