"""Index the jobs in the claim's order (state, priority descending, id): a worker finds the
most urgent due jobs by walking it, instead of sorting every pending job at each claim.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_jobs_state_priority_id",
        "jobs",
        [sa.column("state"), sa.desc(sa.column("priority")), sa.column("id")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_state_priority_id", table_name="jobs")
