"""The account's records (users, identities, tickets, comments) and their Zendesk JSON form."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.fakes.zendesk.clock import iso_utc

Role = Literal["end-user", "agent", "admin"]
ROLES: tuple[Role, ...] = ("end-user", "agent", "admin")
IDENTITY_TYPES = (
    "email",
    "twitter",
    "facebook",
    "google",
    "phone_number",
    "agent_forwarding",
    "any_channel",
    "foreign",
    "sdk",
    "messaging",
)
_NON_DIGITS = re.compile(r"\D")


def digits_of(value: str | None) -> str:
    return _NON_DIGITS.sub("", value or "")


@functools.lru_cache(maxsize=65_536)
def _distinct_digits(numbers: tuple[str | None, ...]) -> tuple[str, ...]:
    """Every search scans all users: their numbers' digits are worked out once per set of
    numbers, not once per search."""
    return tuple(sorted({digits_of(n) for n in numbers if n and digits_of(n)}))


@dataclass
class Identity:
    id: int
    user_id: int
    type: str
    value: str
    primary: bool
    created_at: float
    verified: bool = False

    def to_json(self, base_url: str) -> dict[str, Any]:
        return {
            "url": f"{base_url}/api/v2/users/{self.user_id}/identities/{self.id}.json",
            "id": self.id,
            "user_id": self.user_id,
            "type": self.type,
            "value": self.value,
            "verified": self.verified,
            "primary": self.primary,
            "created_at": iso_utc(self.created_at),
            "updated_at": iso_utc(self.created_at),
            "verification_method": "full" if self.verified else "none",
        }


@dataclass
class User:
    id: int
    name: str
    role: Role
    created_at: float
    updated_at: float
    email: str | None = None
    phone: str | None = None
    shared_phone_number: bool | None = None
    external_id: str | None = None
    organization_id: int | None = None
    tags: list[str] = field(default_factory=list)
    time_zone: str = "UTC"
    locale: str = "en-US"
    active: bool = True
    suspended: bool = False
    notes: str = ""
    identities: list[Identity] = field(default_factory=list)

    @property
    def is_agent(self) -> bool:
        return self.role in ("agent", "admin")

    def phone_digits(self) -> tuple[str, ...]:
        """Digits of the primary phone and of every phone identity, for search."""
        numbers = (self.phone, *(i.value for i in self.identities if i.type == "phone_number"))
        return _distinct_digits(numbers)

    def to_json(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": f"{base_url}/api/v2/users/{self.id}.json",
            "name": self.name,
            "email": self.email,
            "created_at": iso_utc(self.created_at),
            "updated_at": iso_utc(self.updated_at),
            "time_zone": self.time_zone,
            "iana_time_zone": "Etc/UTC" if self.time_zone == "UTC" else self.time_zone,
            "phone": self.phone,
            "shared_phone_number": self.shared_phone_number,
            "photo": None,
            "locale_id": 1,
            "locale": self.locale,
            "organization_id": self.organization_id,
            "role": self.role,
            "verified": any(i.verified for i in self.identities),
            "external_id": self.external_id,
            "tags": list(self.tags),
            "alias": None,
            "active": self.active,
            "shared": False,
            "shared_agent": False,
            "last_login_at": None,
            "two_factor_auth_enabled": None,
            "signature": None,
            "details": "",
            "notes": self.notes,
            "role_type": None,
            "custom_role_id": None,
            "moderator": self.is_agent,
            "ticket_restriction": None if self.is_agent else "requested",
            "only_private_comments": False,
            "restricted_agent": not self.is_agent,
            "suspended": self.suspended,
            "default_group_id": None,
            "report_csv": False,
            "user_fields": {},
        }


@dataclass
class Comment:
    id: int
    type: Literal["Comment", "VoiceComment"]
    body: str
    public: bool
    author_id: int
    created_at: float
    via_channel: str
    voice: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "author_id": self.author_id,
            "body": self.body,
            "html_body": f'<div class="zd-comment"><p>{self.body}</p></div>',
            "plain_body": self.body,
            "public": self.public,
            "attachments": [],
            "audit_id": self.id + 1,
            "via": {"channel": self.via_channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso_utc(self.created_at),
            "metadata": {"system": {}, "custom": {}},
        }
        if self.voice is not None:
            body["data"] = dict(self.voice)
            body["formatted_from"] = self.voice.get("from")
            body["formatted_to"] = self.voice.get("to")
            body["transcription_visible"] = self.voice.get("transcription_text") is not None
        return body


#: via_id of the Talk Partner Edition → (channel, rel) of the ticket's ``via``.
VIA_IDS: dict[int, tuple[str, str]] = {
    44: ("voice", "voicemail"),
    45: ("voice", "inbound"),
    46: ("voice", "outbound"),
}


@dataclass
class Ticket:
    id: int
    subject: str | None
    description: str
    status: str
    requester_id: int
    submitter_id: int
    created_at: float
    updated_at: float
    assignee_id: int | None = None
    group_id: int | None = None
    organization_id: int | None = None
    brand_id: int | None = None
    priority: str | None = None
    type: str | None = None
    external_id: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    via_channel: str = "api"
    via_rel: str | None = None
    comments: list[Comment] = field(default_factory=list)

    def to_json(self, base_url: str) -> dict[str, Any]:
        return {
            "url": f"{base_url}/api/v2/tickets/{self.id}.json",
            "id": self.id,
            "external_id": self.external_id,
            "via": {
                "channel": self.via_channel,
                "source": {"from": {}, "to": {}, "rel": self.via_rel},
            },
            "created_at": iso_utc(self.created_at),
            "updated_at": iso_utc(self.updated_at),
            "generated_timestamp": int(self.updated_at),
            "type": self.type,
            "subject": self.subject,
            "raw_subject": self.subject or "",
            "description": self.description,
            "priority": self.priority,
            "status": self.status,
            "recipient": None,
            "requester_id": self.requester_id,
            "submitter_id": self.submitter_id,
            "assignee_id": self.assignee_id,
            "organization_id": self.organization_id,
            "group_id": self.group_id,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": any(c.public for c in self.comments),
            "due_at": None,
            "tags": list(self.tags),
            "custom_fields": [dict(f) for f in self.custom_fields],
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "custom_status_id": None,
            "fields": [dict(f) for f in self.custom_fields],
            "followup_ids": [],
            "ticket_form_id": None,
            "brand_id": self.brand_id,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
        }


@dataclass(frozen=True)
class DisplayCall:
    """One call to a TPE display endpoint, kept for test assertions."""

    kind: Literal["user", "ticket"]
    agent_id: int
    target_id: int
    status: int
    at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "agent_id": self.agent_id,
            "target_id": self.target_id,
            "status": self.status,
            "delivered": self.status == 200,
            "at": iso_utc(self.at),
        }
