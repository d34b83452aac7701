"""Screen pops relayed through the database: workers without Redis reach the agents' serve.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "relayed_pops",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("claim", sa.String(length=300), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayed_pops")),
    )
    op.create_index(
        op.f("ix_relayed_pops_created_at"), "relayed_pops", ["created_at"], unique=False
    )
    op.create_table(
        "pop_claims",
        sa.Column("claim", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("claim", name=op.f("pk_pop_claims")),
    )
    op.create_index(op.f("ix_pop_claims_created_at"), "pop_claims", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pop_claims_created_at"), table_name="pop_claims")
    op.drop_table("pop_claims")
    op.drop_index(op.f("ix_relayed_pops_created_at"), table_name="relayed_pops")
    op.drop_table("relayed_pops")
