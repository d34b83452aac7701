"""The account's data: users with identities, tickets, display calls, and the rules that
Zendesk enforces when they are created or changed (422 ``RecordInvalid`` otherwise)."""

from __future__ import annotations

import itertools
from typing import Any, cast

import phonenumbers

from tests.fakes.zendesk.clock import Clock
from tests.fakes.zendesk.config import EmulatorConfig
from tests.fakes.zendesk.errors import record_invalid, record_not_found
from tests.fakes.zendesk.records import (
    IDENTITY_TYPES,
    ROLES,
    DisplayCall,
    Identity,
    Role,
    Ticket,
    User,
)
from tests.fakes.zendesk.search_index import SearchIndex

_USER_TEXT_FIELDS = ("external_id", "time_zone", "locale", "notes")


class Store:
    """Users, identities and tickets of one account, with Zendesk's validation rules."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.users: dict[int, User] = {}
        self.tickets: dict[int, Ticket] = {}
        self.displays: list[DisplayCall] = []
        self.search_index = SearchIndex()
        self._user_ids = itertools.count(10_000_000_001)
        self._identity_ids = itertools.count(20_000_000_001)
        self.comment_ids = itertools.count(30_000_000_001, 2)
        self.ticket_ids = itertools.count(1)

    # users -----------------------------------------------------------------------------
    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise record_not_found() from None

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        for user in self.users.values():
            emails = [user.email] + [i.value for i in user.identities if i.type == "email"]
            if any(e and e.lower() == wanted for e in emails):
                return user
        return None

    def create_user(self, data: dict[str, Any]) -> User:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise record_invalid("name", "Name: is too short (minimum is 1 characters)")
        role = data.get("role", "end-user")
        if role not in ROLES:
            raise record_invalid("role", f"Role: {role} is not a valid role")
        now = self.clock.now()
        user = User(
            id=next(self._user_ids),
            name=name.strip(),
            role=cast(Role, role),
            created_at=now,
            updated_at=now,
        )
        self._apply_user_fields(user, data)
        self.users[user.id] = user
        for identity in data.get("identities") or []:
            if isinstance(identity, dict):
                self.add_identity(user, identity.get("type"), identity.get("value"), reindex=False)
        self._reindex(user)
        return user

    def update_user(self, user: User, data: dict[str, Any]) -> User:
        if "name" in data:
            name = data["name"]
            if not isinstance(name, str) or not name.strip():
                raise record_invalid("name", "Name: is too short (minimum is 1 characters)")
            user.name = name.strip()
        if "role" in data:
            if data["role"] not in ROLES:
                raise record_invalid("role", f"Role: {data['role']} is not a valid role")
            user.role = cast(Role, data["role"])
        self._apply_user_fields(user, data)
        user.updated_at = self.clock.now()
        self._reindex(user)
        return user

    def _apply_user_fields(self, user: User, data: dict[str, Any]) -> None:
        email = data.get("email")
        if isinstance(email, str) and email:
            if "@" not in email:
                raise record_invalid("email", f"Email: {email} is not properly formatted")
            owner = self.user_by_email(email)
            if owner is not None and owner.id != user.id:
                raise record_invalid(
                    "email", f"Email: {email} is already being used by another user"
                )
            if user.email is None:
                user.email = email
            self.add_identity(user, "email", email, reindex=False)
        phone = data.get("phone")
        if isinstance(phone, str) and phone:
            # Setting a phone adds a phone identity rather than replacing one (§1.5).
            self.add_identity(user, "phone_number", phone, reindex=False)
            if user.phone is None:
                user.phone = phone
        if "shared_phone_number" in data:
            user.shared_phone_number = bool(data["shared_phone_number"])
        for key in _USER_TEXT_FIELDS:
            if isinstance(data.get(key), str):
                setattr(user, key, data[key])
        if isinstance(data.get("organization_id"), int):
            user.organization_id = data["organization_id"]
        tags = data.get("tags")
        if isinstance(tags, list):
            user.tags = [str(t) for t in tags]

    def add_identity(
        self, user: User, identity_type: object, value: object, *, reindex: bool = True
    ) -> Identity:
        if identity_type not in IDENTITY_TYPES:
            raise record_invalid("type", f"Type: {identity_type} is not a valid identity type")
        if not isinstance(value, str) or not value.strip():
            raise record_invalid("value", "Value: cannot be blank")
        if identity_type == "phone_number":
            self._check_phone(value)
        for existing in user.identities:
            if existing.type == identity_type and existing.value == value:
                return existing
        identity = Identity(
            id=next(self._identity_ids),
            user_id=user.id,
            type=str(identity_type),
            value=value.strip(),
            primary=not any(i.type == identity_type for i in user.identities),
            created_at=self.clock.now(),
        )
        user.identities.append(identity)
        if reindex:
            user.updated_at = self.clock.now()
            self._reindex(user)
        return identity

    def _check_phone(self, value: str) -> None:
        if not self.config.validate_phone_numbers:
            return
        try:
            valid = value.startswith("+") and phonenumbers.is_valid_number(
                phonenumbers.parse(value, None)
            )
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise record_invalid("phone", f"Phone: {value} is not a valid phone number")

    def _reindex(self, user: User) -> None:
        self.search_index.schedule(user, self.clock.now() + self.config.search_index_delay)

    def searchable_users(self) -> list[User]:
        return self.search_index.users(self.clock.now())

    # tickets ---------------------------------------------------------------------------
    def ticket(self, ticket_id: int) -> Ticket:
        try:
            return self.tickets[ticket_id]
        except KeyError:
            raise record_not_found() from None

    def record_display(self, call: DisplayCall) -> None:
        self.displays.append(call)

    def dump(self, base_url: str) -> dict[str, Any]:
        """Everything, for test assertions and ``GET /_emulator/state``."""
        return {
            "users": [
                u.to_json(base_url) | {"identities": [i.to_json(base_url) for i in u.identities]}
                for u in self.users.values()
            ],
            "tickets": [
                t.to_json(base_url) | {"comments": [c.to_json() for c in t.comments]}
                for t in self.tickets.values()
            ],
            "displays": [d.to_json() for d in self.displays],
        }
