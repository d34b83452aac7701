"""Caller-ID lookup for PBX dialplans: a number → a name (``GET /api/caller-id``).

The phonebook is asked first (company contacts the admin keeps), then deskline's local index
of helpdesk contacts. Both compare numbers the same way (F27): the E.164 form and its variants
first, then the last :data:`~deskline.pipeline.contact_index.TAIL_DIGITS` digits. No helpdesk
request is sent: a dialplan needs an answer at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.integration.phonebook import contact_name
from deskline.integration.records import ConnectionStatus, current_connection
from deskline.phones import NumberNormaliser, digits_of, last_digits
from deskline.pipeline.contact_index import TAIL_DIGITS, ContactIndex
from deskline.store.models import PhonebookContact


@dataclass(frozen=True)
class CallerName:
    name: str | None
    source: str | None = None  # "phonebook" | "helpdesk"
    match: str | None = None  # "e164" | "tail"


class CallerIdLookup:
    def __init__(self, normaliser: NumberNormaliser, tail_digits: int = TAIL_DIGITS) -> None:
        self.normaliser = normaliser
        self.tail_digits = tail_digits
        self.index = ContactIndex(normaliser, tail_digits)

    async def lookup(self, session: AsyncSession, number: str) -> CallerName:
        parsed = self.normaliser.normalise(number)
        if not parsed.raw or parsed.is_anonymous or not digits_of(parsed.raw):
            return CallerName(None)
        found = await self._phonebook(session, number)
        if found.name:
            return found
        row = await current_connection(session)
        if row is None or row.status == ConnectionStatus.AUTHORIZING:
            return CallerName(None)
        match = await self.index.find(session, row.id, number)
        if match.contact is None:
            return CallerName(None)
        return CallerName(match.contact.name, "helpdesk", match.via)

    async def _phonebook(self, session: AsyncSession, number: str) -> CallerName:
        variants = set(self.normaliser.variants(number))
        e164 = self.normaliser.normalise(number).e164
        tail = last_digits(number, self.tail_digits)
        by_tail: PhonebookContact | None = None
        contacts = (await session.execute(select(PhonebookContact))).scalars()
        for contact in contacts:
            for raw in (contact.numbers or {}).values():
                stored = str(raw or "")
                if not stored:
                    continue
                if stored in variants or (e164 and self.normaliser.to_e164(stored) == e164):
                    return CallerName(contact_name(contact) or None, "phonebook", "e164")
                if (
                    by_tail is None
                    and len(tail) == self.tail_digits
                    and last_digits(stored, self.tail_digits) == tail
                ):
                    by_tail = contact
        if by_tail is not None:
            return CallerName(contact_name(by_tail) or None, "phonebook", "tail")
        return CallerName(None)
