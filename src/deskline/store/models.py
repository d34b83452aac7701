"""deskline's tables (SQLAlchemy 2 typed declarative); the same schema on SQLite and PostgreSQL.

Change a model → add an Alembic revision (``store/migrations/versions``); a test checks that
the models and the migrations agree on both dialects.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from deskline.store.types import BigIntId, JsonDoc, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JsonDoc}


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class AttemptOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"  # failed, will run again
    FAILED = "failed"  # failed for good
    LEASE_EXPIRED = "lease_expired"  # the worker stopped answering mid-job


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"AdminUser(id={self.id!r}, username={self.username!r})"


class LoginFailure(Base):
    """Recent failed logins of one username from one address (``key``: their hash), shared
    by every process so that a lockout holds whichever process a request reaches."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"LoginFailure(failures={self.failures!r}, locked_until={self.locked_until!r})"


class RelayedPop(Base):
    """A screen pop decided by a process no agent connects to (a ``deskline worker``), kept
    for the ``serve`` processes to deliver when no Redis carries pops
    (:mod:`deskline.fanout.stored`); pruned after a few minutes."""

    __tablename__ = "relayed_pops"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    claim: Mapped[str] = mapped_column(String(300))
    message: Mapped[dict[str, Any]]
    origin: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"RelayedPop(id={self.id!r}, claim={self.claim!r})"


class PopClaim(Base):
    """Which process delivered a relayed pop: the first to insert the claim delivers it."""

    __tablename__ = "pop_claims"

    claim: Mapped[str] = mapped_column(String(300), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"PopClaim(claim={self.claim!r}, owner={self.owner!r})"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    user: Mapped[AdminUser] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"ApiToken(id={self.id!r}, user_id={self.user_id!r}, name={self.name!r})"


class PbxConnection(Base):
    """A configured PBX: ``config`` is the non-secret part, ``secrets`` an encrypted JSON dict."""

    __tablename__ = "pbx_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30), default="new")
    status_detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        secrets = "<encrypted>" if self.secrets else None
        return (
            f"PbxConnection(id={self.id!r}, name={self.name!r}, kind={self.kind!r}, "
            f"secrets={secrets})"
        )


class PbxEvent(Base):
    """A call event as the PBX adapter delivered it; ``(source, key)`` drops redeliveries."""

    __tablename__ = "pbx_events"
    __table_args__ = (
        UniqueConstraint("source", "key"),
        Index(None, "source", "call_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    call_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallRecord(Base):
    """The latest state of a call; ``data`` is the full ``Call.model_dump(mode="json")``."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("source", "pbx_call_id"),
        Index(None, "started_at"),
        Index(None, "source", "status"),
        Index(None, "caller_number"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    pbx_call_id: Mapped[str] = mapped_column(String(255))
    direction: Mapped[str | None] = mapped_column(String(20))
    phase: Mapped[str] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    callee_number: Mapped[str | None] = mapped_column(String(64))
    answered_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Job(Base):
    """A durable unit of work (a helpdesk write, …) run by the outbox worker."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(None, "state", "run_after"),
        Index(None, "ordering_key", "state"),
        Index(None, "state", "locked_until"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ordering_key: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default=JobState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: the service whose unavailability put the job back (due at once when it answers again)
    waiting_for: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, kind={self.kind!r}, state={self.state!r})"


# the claim's order (most urgent first): due jobs are found in it without sorting every
# pending job (with a backlog of a thousand, each claim sorted a thousand rows)
Index("ix_jobs_state_priority_id", Job.state, Job.priority.desc(), Job.id)


class JobAttempt(Base):
    """One run of a job: who ran it, how it ended, an error or short response, how long."""

    __tablename__ = "job_attempts"
    __table_args__ = (UniqueConstraint("job_id", "number"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    job_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("jobs.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class SettingValue(Base):
    """Integration settings as JSON values under a key."""

    __tablename__ = "settings_kv"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CustomTemplate(Base):
    """A helpdesk template uploaded by an admin (bundled ones live in the package)."""

    __tablename__ = "custom_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    xml: Mapped[str] = mapped_column(Text)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_media_type: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"CustomTemplate(id={self.id!r}, key={self.key!r})"


# ---------------------------------------------------------------------------------------------
# The helpdesk integration (features F1–F13, F28–F30): one connected helpdesk at a time.


class HelpdeskConnection(Base):
    """The connected helpdesk: its template, the admin's field values and its settings.

    ``fields`` holds the non-secret custom field values; ``secrets`` an encrypted JSON dict
    (secret fields, OAuth tokens, a pending authorization's state and PKCE verifier).
    ``settings`` holds the integration settings (F8–F13), validated by the pipeline's model.
    """

    __tablename__ = "helpdesk_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30), default="new")
    status_detail: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    connected_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        secrets = "<encrypted>" if self.secrets else None
        return (
            f"HelpdeskConnection(id={self.id!r}, template_key={self.template_key!r}, "
            f"status={self.status!r}, secrets={secrets})"
        )


class HelpdeskUser(Base):
    """An agent account fetched from the helpdesk (F2), bound to extensions below."""

    __tablename__ = "helpdesk_users"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_connections.id", ondelete="CASCADE"), index=True
    )
    remote_id: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Extension(Base):
    """A PBX extension deskline knows (from the PBX or entered by the admin)."""

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    source: Mapped[str] = mapped_column(String(30), default="manual")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExtensionBinding(Base):
    """A helpdesk user bound to an extension (F2), with that extension's screen-pop setting (F7)."""

    __tablename__ = "extension_bindings"
    __table_args__ = (UniqueConstraint("connection_id", "extension"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_connections.id", ondelete="CASCADE"), index=True
    )
    helpdesk_user_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_users.id", ondelete="CASCADE"), index=True
    )
    extension: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(20), default="manual")  # auto | manual
    pop_mode: Mapped[str] = mapped_column(String(20), default="auto")  # auto | manual | off
    pop_trigger: Mapped[str] = mapped_column(String(20), default="ringing")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpdeskContact(Base):
    """deskline's local index of helpdesk contacts (F28): ring-time lookups read this first."""

    __tablename__ = "helpdesk_contacts"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_connections.id", ondelete="CASCADE"), index=True
    )
    remote_id: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    popup_url: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    origin: Mapped[str] = mapped_column(String(20), default="lookup")  # lookup | created | refresh
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)

    numbers: Mapped[list[HelpdeskContactNumber]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class HelpdeskContactNumber(Base):
    """One phone number of an indexed contact, by E.164 form and by its last digits (F27)."""

    __tablename__ = "helpdesk_contact_numbers"
    __table_args__ = (Index(None, "e164"), Index(None, "tail"), Index(None, "raw"))

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("helpdesk_contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))  # business | mobile | home | fax | other
    raw: Mapped[str] = mapped_column(String(64))
    e164: Mapped[str | None] = mapped_column(String(32))
    tail: Mapped[str] = mapped_column(String(16))


class PhonebookGroup(Base):
    """A PBX-side phonebook group; while ``connection_id`` is set it is Helpdesk-synced (F8)."""

    __tablename__ = "phonebook_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    label: Mapped[str | None] = mapped_column(String(50))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("helpdesk_connections.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhonebookContact(Base):
    """A company contact in a phonebook group; ``numbers`` maps kind → number."""

    __tablename__ = "phonebook_contacts"
    __table_args__ = (Index(None, "group_id", "remote_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("phonebook_groups.id", ondelete="CASCADE"), index=True
    )
    remote_id: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    company: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    remark: Mapped[str | None] = mapped_column(Text)
    numbers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CallAction(Base):
    """One helpdesk action for one call (ticket, journal, contact…): done once, remembered.

    ``key`` is the idempotency key of the action (also sent to helpdesks that honour one);
    ``remote_id`` what the helpdesk answered (the ticket id, the contact id).
    """

    __tablename__ = "call_actions"
    __table_args__ = (Index(None, "source", "pbx_call_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(100))
    pbx_call_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|done|skipped|failed
    remote_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HelpdeskRequestLog(Base):
    """Every request deskline sent to the helpdesk and how it ended (F32)."""

    __tablename__ = "helpdesk_requests"
    __table_args__ = (Index(None, "source", "pbx_call_id"), Index(None, "at"))

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(100))
    pbx_call_id: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[int | None] = mapped_column(BigIntId)
    scenario: Mapped[str] = mapped_column(String(64))
    request_name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)  # secrets masked
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    duration_ms: Mapped[int] = mapped_column(Integer)
    excerpt: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Recording(Base):
    """A call's recording as the PBX knows it, and deskline's cached copy once fetched (F30)."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("source", "pbx_call_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # public, unguessable id
    source: Mapped[str] = mapped_column(String(100))
    pbx_call_id: Mapped[str] = mapped_column(String(255))
    ref: Mapped[str] = mapped_column(Text)  # the PBX's reference (file path, id, file name)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|ready|missing
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigIntId)
    cache_path: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
