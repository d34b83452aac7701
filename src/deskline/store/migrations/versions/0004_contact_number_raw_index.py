"""Index the raw form of indexed contacts' numbers: ring-time lookups match raw variants, and
without it every lookup read the whole contact index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_helpdesk_contact_numbers_raw"), "helpdesk_contact_numbers", ["raw"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_helpdesk_contact_numbers_raw"), table_name="helpdesk_contact_numbers")
