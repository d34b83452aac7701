"""Creating and updating tickets the way Zendesk does: field checks, comments, voice comments,
the comment cap, closed tickets, and the audit an update returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.fakes.zendesk.errors import record_invalid
from tests.fakes.zendesk.records import Comment, Ticket, User
from tests.fakes.zendesk.store import Store

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TYPES = ("problem", "incident", "question", "task")
RECORDING_TYPES = ("call", "voicemail", "ai")
_DERIVED_FIELDS = ("updated_at", "generated_timestamp", "is_public", "fields")
_VOICE_TEXT_FIELDS = ("from", "to", "recording_url", "transcription_text", "location")


def parse_started_at(value: object) -> str:
    """ISO 8601, or the old ``2013-07-11 15:31:44 +0000`` form; returned as given."""
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return value
        except ValueError:
            pass
        try:
            datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z")
            return value
        except ValueError:
            pass
    raise record_invalid("started_at", f"Started at: {value!r} is not a valid date")


def _integer(value: object, field: str) -> int:
    """An integer, or a string of digits (Rails coerces those)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise record_invalid(field, f"{field}: {value!r} is not a number")


def voice_comment_data(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise record_invalid("voice_comment", "Voice comment: is invalid")
    data: dict[str, Any] = {}
    for key in _VOICE_TEXT_FIELDS:
        if raw.get(key) is not None:
            data[key] = str(raw[key])
    if raw.get("call_duration") is not None:
        data["call_duration"] = _integer(raw["call_duration"], "call_duration")
    if raw.get("answered_by_id") is not None:
        data["answered_by_id"] = _integer(raw["answered_by_id"], "answered_by_id")
    if raw.get("started_at") is not None:
        data["started_at"] = parse_started_at(raw["started_at"])
    recording_type = raw.get("recording_type")
    if recording_type is not None:
        if recording_type not in RECORDING_TYPES:
            raise record_invalid("recording_type", f"Recording type: {recording_type} is invalid")
        data["recording_type"] = recording_type
    data.setdefault("recording_url", None)
    data.setdefault("transcription_text", None)
    data["public"] = raw.get("public", False) in (True, "true", "1")
    return data


def voice_comment_body(data: dict[str, Any]) -> str:
    lines = [
        f"Call from: {data.get('from', 'unknown')}",
        f"Call to: {data.get('to', 'unknown')}",
        f"Time of call: {data.get('started_at', 'unknown')}",
    ]
    if "call_duration" in data:
        lines.append(f"Length of phone call: {data['call_duration']} seconds")
    if data.get("transcription_text"):
        lines.append(f"Transcription: {data['transcription_text']}")
    return "\n".join(lines)


class TicketWriter:
    """Ticket creation and update over a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self, data: dict[str, Any], author: User, via: tuple[str, str | None] = ("api", None)
    ) -> Ticket:
        comment = data.get("comment") if isinstance(data.get("comment"), dict) else None
        voice = data.get("voice_comment")
        description = (comment or {}).get("body") or data.get("description")
        if not description and voice is None:
            raise record_invalid("base", "Description: cannot be blank")
        requester = self._requester(data, author)
        now = self.store.clock.now()
        ticket = Ticket(
            id=next(self.store.ticket_ids),
            subject=None,
            description="",
            status="new",
            requester_id=requester.id,
            submitter_id=author.id,
            created_at=now,
            updated_at=now,
            via_channel=via[0],
            via_rel=via[1],
        )
        self._apply_fields(ticket, data)
        if "status" not in data and ticket.assignee_id is not None:
            ticket.status = "open"
        self._add_comments(ticket, data, author)
        ticket.description = ticket.comments[0].body if ticket.comments else ""
        self.store.tickets[ticket.id] = ticket
        return ticket

    def update(self, ticket: Ticket, data: dict[str, Any], author: User) -> dict[str, Any]:
        """Apply an update; returns the audit Zendesk answers with."""
        if ticket.status == "closed":
            raise record_invalid("status", "Status: closed prevents ticket update")
        before = ticket.to_json("")
        self._apply_fields(ticket, data)
        added = self._add_comments(ticket, data, author)
        ticket.updated_at = self.store.clock.now()
        after = ticket.to_json("")
        events: list[dict[str, Any]] = [c.to_json() | {"type": c.type} for c in added]
        for key in sorted(after):
            if key in data and key not in _DERIVED_FIELDS and after[key] != before[key]:
                events.append(_change_event(key, after[key], before[key]))
        for number, event in enumerate(events):
            event["id"] = ticket.id * 1_000_000 + len(ticket.comments) * 10 + number
        return {
            "id": ticket.id * 1_000_000 + len(ticket.comments),
            "ticket_id": ticket.id,
            "created_at": after["updated_at"],
            "author_id": author.id,
            "metadata": {"system": {}, "custom": {}},
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "events": events,
        }

    def _requester(self, data: dict[str, Any], author: User) -> User:
        if data.get("requester_id") is not None:
            try:
                return self.store.user(_integer(data["requester_id"], "requester_id"))
            except Exception:
                raise record_invalid("requester", "Requester: is invalid") from None
        requester = data.get("requester")
        if isinstance(requester, dict):
            email = requester.get("email")
            found = self.store.user_by_email(email) if isinstance(email, str) else None
            return found or self.store.create_user(
                {"name": requester.get("name") or email, "email": email}
            )
        if isinstance(requester, str) and "@" in requester:
            return self.store.user_by_email(requester) or self.store.create_user(
                {"name": requester, "email": requester}
            )
        return author

    def _apply_fields(self, ticket: Ticket, data: dict[str, Any]) -> None:
        for key, allowed in (("priority", PRIORITIES), ("status", STATUSES), ("type", TYPES)):
            if key in data:
                value = data[key]
                if value is not None and value not in allowed:
                    raise record_invalid(key, f"{key.capitalize()}: {value} is not valid")
                setattr(ticket, key, value)
        if "subject" in data:
            ticket.subject = None if data["subject"] is None else str(data["subject"])
        if data.get("assignee_id") is not None:
            assignee = self.store.users.get(_integer(data["assignee_id"], "assignee_id"))
            if assignee is None or not assignee.is_agent:
                raise record_invalid("assignee", "Assignee: is not an agent")
            ticket.assignee_id = assignee.id
        elif "assignee_id" in data:
            ticket.assignee_id = None
        for key in ("group_id", "organization_id", "brand_id"):
            if key in data:
                setattr(ticket, key, None if data[key] is None else _integer(data[key], key))
        if "external_id" in data:
            ticket.external_id = None if data["external_id"] is None else str(data["external_id"])
        if "tags" in data:
            ticket.tags = _tags(data["tags"])
        ticket.tags += [t for t in _tags(data.get("additional_tags")) if t not in ticket.tags]
        removed = set(_tags(data.get("remove_tags")))
        ticket.tags = [t for t in ticket.tags if t not in removed]
        if isinstance(data.get("custom_fields"), list):
            ticket.custom_fields = [
                {"id": f["id"], "value": f.get("value")}
                for f in data["custom_fields"]
                if isinstance(f, dict) and "id" in f
            ]

    def _add_comments(self, ticket: Ticket, data: dict[str, Any], author: User) -> list[Comment]:
        new: list[Comment] = []
        comment = data.get("comment")
        if isinstance(comment, dict) and (comment.get("body") or comment.get("html_body")):
            author_id = comment.get("author_id")
            new.append(
                self._comment(
                    ticket,
                    "Comment",
                    str(comment.get("body") or comment.get("html_body")),
                    public=comment.get("public", True) not in (False, "false", "0"),
                    author_id=_integer(author_id, "author_id") if author_id else author.id,
                )
            )
        if data.get("voice_comment") is not None:
            voice = voice_comment_data(data["voice_comment"])
            new.append(
                self._comment(
                    ticket,
                    "VoiceComment",
                    voice_comment_body(voice),
                    public=voice.pop("public"),
                    author_id=voice.get("answered_by_id") or author.id,
                    voice=voice,
                )
            )
        if len(ticket.comments) + len(new) > self.store.config.comment_cap:
            raise record_invalid(
                "base",
                f"Comments: a ticket cannot have more than {self.store.config.comment_cap}"
                " comments",
            )
        ticket.comments.extend(new)
        return new

    def _comment(
        self,
        ticket: Ticket,
        kind: str,
        body: str,
        *,
        public: bool,
        author_id: int,
        voice: dict[str, Any] | None = None,
    ) -> Comment:
        return Comment(
            id=next(self.store.comment_ids),
            type="VoiceComment" if voice else "Comment",
            body=body,
            public=public,
            author_id=author_id,
            created_at=self.store.clock.now(),
            via_channel="voice" if kind == "VoiceComment" else ticket.via_channel,
            voice=voice,
        )


def _tags(value: object) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _change_event(field: str, value: object, previous: object) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "Change", "field_name": field}
    for key, item in (("value", value), ("previous_value", previous)):
        if isinstance(item, list):
            event[key] = " ".join(str(i) for i in item)
        elif item is not None:
            event[key] = item
    return event
