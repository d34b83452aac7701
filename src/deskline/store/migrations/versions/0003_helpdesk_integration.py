"""The helpdesk integration: connection, users, extensions and bindings, the local contact
index, phonebook groups, per-call actions, the helpdesk request log and recordings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_actions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("pbx_call_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_actions")),
        sa.UniqueConstraint("key", name=op.f("uq_call_actions_key")),
    )
    op.create_index(
        op.f("ix_call_actions_source_pbx_call_id"),
        "call_actions",
        ["source", "pbx_call_id"],
        unique=False,
    )
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extensions")),
        sa.UniqueConstraint("number", name=op.f("uq_extensions_number")),
    )
    op.create_index(op.f("ix_extensions_email"), "extensions", ["email"], unique=False)
    op.create_table(
        "helpdesk_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("status_detail", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_connections")),
    )
    op.create_table(
        "helpdesk_requests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("pbx_call_id", sa.String(length=255), nullable=True),
        sa.Column("job_id", BIG_ID, nullable=True),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("request_name", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_requests")),
    )
    op.create_index(op.f("ix_helpdesk_requests_at"), "helpdesk_requests", ["at"], unique=False)
    op.create_index(
        op.f("ix_helpdesk_requests_source_pbx_call_id"),
        "helpdesk_requests",
        ["source", "pbx_call_id"],
        unique=False,
    )
    op.create_table(
        "recordings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("pbx_call_id", sa.String(length=255), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", BIG_ID, nullable=True),
        sa.Column("cache_path", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("source", "pbx_call_id", name=op.f("uq_recordings_source_pbx_call_id")),
        sa.UniqueConstraint("token", name=op.f("uq_recordings_token")),
    )
    op.create_table(
        "helpdesk_contacts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("popup_url", sa.Text(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["helpdesk_connections.id"],
            name=op.f("fk_helpdesk_contacts_connection_id_helpdesk_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_contacts")),
        sa.UniqueConstraint(
            "connection_id", "remote_id", name=op.f("uq_helpdesk_contacts_connection_id_remote_id")
        ),
    )
    op.create_index(
        op.f("ix_helpdesk_contacts_connection_id"),
        "helpdesk_contacts",
        ["connection_id"],
        unique=False,
    )
    op.create_table(
        "helpdesk_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["helpdesk_connections.id"],
            name=op.f("fk_helpdesk_users_connection_id_helpdesk_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_users")),
        sa.UniqueConstraint(
            "connection_id", "remote_id", name=op.f("uq_helpdesk_users_connection_id_remote_id")
        ),
    )
    op.create_index(
        op.f("ix_helpdesk_users_connection_id"), "helpdesk_users", ["connection_id"], unique=False
    )
    op.create_index(op.f("ix_helpdesk_users_email"), "helpdesk_users", ["email"], unique=False)
    op.create_table(
        "phonebook_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=True),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["helpdesk_connections.id"],
            name=op.f("fk_phonebook_groups_connection_id_helpdesk_connections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phonebook_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_phonebook_groups_name")),
    )
    op.create_index(
        op.f("ix_phonebook_groups_connection_id"),
        "phonebook_groups",
        ["connection_id"],
        unique=False,
    )
    op.create_table(
        "extension_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("helpdesk_user_id", sa.Integer(), nullable=False),
        sa.Column("extension", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("pop_mode", sa.String(length=20), nullable=False),
        sa.Column("pop_trigger", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["helpdesk_connections.id"],
            name=op.f("fk_extension_bindings_connection_id_helpdesk_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["helpdesk_user_id"],
            ["helpdesk_users.id"],
            name=op.f("fk_extension_bindings_helpdesk_user_id_helpdesk_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_bindings")),
        sa.UniqueConstraint(
            "connection_id", "extension", name=op.f("uq_extension_bindings_connection_id_extension")
        ),
    )
    op.create_index(
        op.f("ix_extension_bindings_connection_id"),
        "extension_bindings",
        ["connection_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_extension_bindings_helpdesk_user_id"),
        "extension_bindings",
        ["helpdesk_user_id"],
        unique=False,
    )
    op.create_table(
        "helpdesk_contact_numbers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("contact_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("raw", sa.String(length=64), nullable=False),
        sa.Column("e164", sa.String(length=32), nullable=True),
        sa.Column("tail", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["helpdesk_contacts.id"],
            name=op.f("fk_helpdesk_contact_numbers_contact_id_helpdesk_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_contact_numbers")),
    )
    op.create_index(
        op.f("ix_helpdesk_contact_numbers_contact_id"),
        "helpdesk_contact_numbers",
        ["contact_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_helpdesk_contact_numbers_e164"), "helpdesk_contact_numbers", ["e164"], unique=False
    )
    op.create_index(
        op.f("ix_helpdesk_contact_numbers_tail"), "helpdesk_contact_numbers", ["tail"], unique=False
    )
    op.create_table(
        "phonebook_contacts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["phonebook_groups.id"],
            name=op.f("fk_phonebook_contacts_group_id_phonebook_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phonebook_contacts")),
    )
    op.create_index(
        op.f("ix_phonebook_contacts_group_id"), "phonebook_contacts", ["group_id"], unique=False
    )
    op.create_index(
        op.f("ix_phonebook_contacts_group_id_remote_id"),
        "phonebook_contacts",
        ["group_id", "remote_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_phonebook_contacts_group_id_remote_id"), table_name="phonebook_contacts")
    op.drop_index(op.f("ix_phonebook_contacts_group_id"), table_name="phonebook_contacts")
    op.drop_table("phonebook_contacts")
    op.drop_index(op.f("ix_helpdesk_contact_numbers_tail"), table_name="helpdesk_contact_numbers")
    op.drop_index(op.f("ix_helpdesk_contact_numbers_e164"), table_name="helpdesk_contact_numbers")
    op.drop_index(
        op.f("ix_helpdesk_contact_numbers_contact_id"), table_name="helpdesk_contact_numbers"
    )
    op.drop_table("helpdesk_contact_numbers")
    op.drop_index(op.f("ix_extension_bindings_helpdesk_user_id"), table_name="extension_bindings")
    op.drop_index(op.f("ix_extension_bindings_connection_id"), table_name="extension_bindings")
    op.drop_table("extension_bindings")
    op.drop_index(op.f("ix_phonebook_groups_connection_id"), table_name="phonebook_groups")
    op.drop_table("phonebook_groups")
    op.drop_index(op.f("ix_helpdesk_users_email"), table_name="helpdesk_users")
    op.drop_index(op.f("ix_helpdesk_users_connection_id"), table_name="helpdesk_users")
    op.drop_table("helpdesk_users")
    op.drop_index(op.f("ix_helpdesk_contacts_connection_id"), table_name="helpdesk_contacts")
    op.drop_table("helpdesk_contacts")
    op.drop_table("recordings")
    op.drop_index(op.f("ix_helpdesk_requests_source_pbx_call_id"), table_name="helpdesk_requests")
    op.drop_index(op.f("ix_helpdesk_requests_at"), table_name="helpdesk_requests")
    op.drop_table("helpdesk_requests")
    op.drop_table("helpdesk_connections")
    op.drop_index(op.f("ix_extensions_email"), table_name="extensions")
    op.drop_table("extensions")
    op.drop_index(op.f("ix_call_actions_source_pbx_call_id"), table_name="call_actions")
    op.drop_table("call_actions")
