"""Zendesk search syntax, the part deskline uses: ``type:``, ``role:``, ``phone:``, free text.

``phone:`` takes digits only; a leading ``*`` matches any prefix (``phone:*5135557611`` finds
``+1 513.555.7611``), a trailing ``*`` any suffix, no ``*`` means the stored digits must be
equal. A phone value with other characters (``+``, spaces) matches nothing, as deskline must
send digits only (helpdesk-apis.md §1.4; the exact semantics are inferred, unverified).
Different keys are ANDed; the same key repeated is ORed.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from tests.fakes.zendesk.records import User, digits_of

_PHONE_PATTERN = re.compile(r"^(\*?)(\d+)(\*?)$")


@dataclass(frozen=True)
class PhoneTerm:
    digits: str
    any_prefix: bool
    any_suffix: bool

    @classmethod
    def parse(cls, value: str) -> PhoneTerm | None:
        match = _PHONE_PATTERN.match(value)
        if match is None:
            return None
        return cls(match.group(2), bool(match.group(1)), bool(match.group(3)))

    def matches(self, stored_digits: str) -> bool:
        if self.any_prefix and self.any_suffix:
            return self.digits in stored_digits
        if self.any_prefix:
            return stored_digits.endswith(self.digits)
        if self.any_suffix:
            return stored_digits.startswith(self.digits)
        return stored_digits == self.digits


@dataclass
class UserQuery:
    """A parsed query; ``types`` other than ``user`` make it match no user."""

    types: set[str] = field(default_factory=set)
    fields: dict[str, list[str]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, query: str) -> UserQuery:
        parsed = cls()
        try:
            tokens = shlex.split(query)
        except ValueError:
            tokens = query.split()
        for token in tokens:
            key, sep, value = token.partition(":")
            if not sep or not key or not value:
                parsed.words.append(token.lower())
            elif key.lower() == "type":
                parsed.types.add(value.lower())
            else:
                parsed.fields.setdefault(key.lower(), []).append(value)
        return parsed

    def matches(self, user: User) -> bool:
        if self.types and "user" not in self.types:
            return False
        for key, values in self.fields.items():
            if not any(_field_matches(user, key, value) for value in values):
                return False
        return all(_word_matches(user, word) for word in self.words)


def _field_matches(user: User, key: str, value: str) -> bool:
    if key == "phone":
        term = PhoneTerm.parse(value)
        return term is not None and any(term.matches(d) for d in user.phone_digits())
    if key == "role":
        return user.role == value.lower()
    if key == "email":
        emails = [user.email] + [i.value for i in user.identities if i.type == "email"]
        return any(_wild_equal(e, value) for e in emails if e)
    if key == "name":
        return _wild_equal(user.name, value)
    if key == "external_id":
        return user.external_id == value
    if key == "tags":
        return value in user.tags
    return False


def _wild_equal(stored: str, pattern: str) -> bool:
    regex = "^" + ".*".join(re.escape(p) for p in pattern.lower().split("*")) + "$"
    return re.match(regex, stored.lower()) is not None


def _word_matches(user: User, word: str) -> bool:
    """Free text: part of the name, e-mail, notes or external id, or the phone's digits."""
    haystacks = [user.name, user.email or "", user.notes, user.external_id or ""]
    if any(word in h.lower() for h in haystacks):
        return True
    digits = digits_of(word)
    return len(digits) >= 3 and any(digits in d for d in user.phone_digits())
