"""deskline's local index of helpdesk contacts (F27, F28): ring-time lookups without HTTP.

A number is looked up in two steps:

1. **E.164 variants**: the stored numbers whose E.164 form equals the number's, or whose raw
   form is one of its variants (E.164, without ``+``, national, digits);
2. **last digits**: otherwise, the stored numbers ending in the same last
   :data:`TAIL_DIGITS` digits (only for numbers that have that many digits).

**Several matches** (two contacts share a number, or the fallback finds several): the contact
seen most recently (``fetched_at``: last found by a lookup or created) wins and the match is
marked ``ambiguous`` so the caller can record it. A contact found by step 1 always beats one
found only by step 2.

**Never looked up**: anonymous callers, extensions, and the company's own numbers
(:func:`is_lookupable`).

Helpdesk results are written with :meth:`ContactIndex.upsert`; a contact created during a call
is written at once, so a second call from the same number — while the helpdesk's search index
still lags — finds it here and no duplicate is created.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from deskline.connector.results import Contact
from deskline.phones import NumberNormaliser, digits_of, last_digits
from deskline.store.direct import DirectStatement, DirectStatements, listed, spread
from deskline.store.models import HelpdeskContact, HelpdeskContactNumber
from deskline.store.types import utcnow

TAIL_DIGITS = 7
_PHONE_KINDS = {
    "BusinessNumber": "business",
    "BusinessNumber2": "business",
    "MobilePhone": "mobile",
    "MobilePhone2": "mobile",
    "HomePhone": "home",
    "HomePhone2": "home",
    "BusinessFax": "fax",
    "HomeFax": "fax",
    "OtherNumber": "other",
}


@dataclass(frozen=True)
class IndexedContact:
    """A contact of the local index, as pops and jobs use it."""

    remote_id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    popup_url: str | None = None
    numbers: tuple[str, ...] = ()
    origin: str = "lookup"

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.remote_id

    def to_message(self) -> dict[str, object]:
        """The ``contact`` object of a screen-pop message (docs/screen-pop.md)."""
        return {
            "id": self.remote_id,
            "name": self.name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "numbers": list(self.numbers),
            "url": self.popup_url,
        }


@dataclass(frozen=True)
class IndexMatch:
    """What the index knows of a number: the chosen contact, how it was found, how sure."""

    contact: IndexedContact | None = None
    via: str | None = None  # "e164" | "tail" | None
    candidates: int = 0
    ambiguous: bool = False
    others: tuple[str, ...] = field(default_factory=tuple)  # remote ids passed over

    @property
    def found(self) -> bool:
        return self.contact is not None


def is_lookupable(
    normaliser: NumberNormaliser, number: str | None, own_numbers: Iterable[str] = ()
) -> bool:
    """False for anonymous callers, extensions and the company's own numbers."""
    parsed = normaliser.normalise(number)
    if not parsed.raw or parsed.is_anonymous or parsed.is_extension:
        return False
    if len(digits_of(parsed.raw)) < 3:
        return False
    own = {normaliser.normalise(n).value for n in own_numbers}
    return parsed.value not in own


_NUMBERS = cast(Table, HelpdeskContactNumber.__table__)
_CONTACTS = cast(Table, HelpdeskContact.__table__)
_BY_VARIANTS = DirectStatements(
    lambda count: select(_NUMBERS.c.contact_id).where(
        or_(_NUMBERS.c.raw.in_(listed("variant", count)), _NUMBERS.c.e164 == bindparam("e164"))
        if count
        else _NUMBERS.c.e164 == bindparam("e164")
    ),
)
_BY_TAIL = DirectStatement(
    select(_NUMBERS.c.contact_id).where(_NUMBERS.c.tail == bindparam("tail"))
)
_CONTACTS_BY_ID = DirectStatements(
    lambda count: (
        select(
            _CONTACTS.c.id,
            _CONTACTS.c.remote_id,
            _CONTACTS.c.first_name,
            _CONTACTS.c.last_name,
            _CONTACTS.c.email,
            _CONTACTS.c.popup_url,
            _CONTACTS.c.origin,
            _NUMBERS.c.raw,
        )
        .select_from(_CONTACTS.outerjoin(_NUMBERS, _NUMBERS.c.contact_id == _CONTACTS.c.id))
        .where(
            _CONTACTS.c.connection_id == bindparam("connection_id"),
            _CONTACTS.c.id.in_(listed("id", count)),
        )
        .order_by(_CONTACTS.c.fetched_at.desc(), _CONTACTS.c.id.desc(), _NUMBERS.c.id)
    ),
)
"""Built once (per number of values), run on the driver (:mod:`deskline.store.direct`): finds
run at every ring."""


async def _contacts(
    connection: AsyncConnection, connection_id: int, candidates: Iterable[int]
) -> list[IndexedContact]:
    """The candidate contacts of the connection, newest first, each with its numbers.

    Two statements: the candidates' ids come from the numbers' indexes first, then those
    contacts are read by id. In one statement (a join, or ``IN (subquery)``) a planner walks
    every contact of the connection instead — SQLite always did, PostgreSQL does before it has
    statistics (1.5 s per ring at 100,000 contacts)."""
    ids = list(dict.fromkeys(candidates))
    if not ids:
        return []
    found: dict[int, tuple[Any, list[str]]] = {}
    for row in await _CONTACTS_BY_ID(len(ids)).execute(
        connection, {"connection_id": connection_id, **spread("id", ids)}
    ):
        entry = found.setdefault(row.id, (row, []))
        if row.raw is not None:
            entry[1].append(row.raw)
    return [_indexed(row, raws) for row, raws in found.values()]


class ContactIndex:
    """Reads and writes the ``helpdesk_contacts`` index of one deskline."""

    def __init__(self, normaliser: NumberNormaliser, tail_digits: int = TAIL_DIGITS) -> None:
        self.normaliser = normaliser
        self.tail_digits = tail_digits

    def __repr__(self) -> str:
        return f"ContactIndex(tail_digits={self.tail_digits})"

    async def find(self, session: AsyncSession, connection_id: int, number: str) -> IndexMatch:
        """The contact of ``number`` (see the module's rules)."""
        parsed = self.normaliser.normalise(number)
        variants = self.normaliser.variants(number)
        connection = await session.connection()
        if variants or parsed.e164:
            ids = await _BY_VARIANTS(len(variants)).execute(
                connection, {"e164": parsed.e164, **spread("variant", list(variants))}
            )
            rows = await _contacts(connection, connection_id, ids.scalars())
            if rows:
                return self._choose(rows, "e164")
        tail = last_digits(number, self.tail_digits)
        if len(tail) < self.tail_digits:
            return IndexMatch()
        ids = await _BY_TAIL.execute(connection, {"tail": tail})
        rows = await _contacts(connection, connection_id, ids.scalars())
        return self._choose(rows, "tail") if rows else IndexMatch()

    async def get(
        self, session: AsyncSession, connection_id: int, remote_id: str
    ) -> IndexedContact | None:
        row = (
            await session.execute(
                select(HelpdeskContact).where(
                    HelpdeskContact.connection_id == connection_id,
                    HelpdeskContact.remote_id == remote_id,
                )
            )
        ).scalar_one_or_none()
        return None if row is None else await self._view(session, row)

    @staticmethod
    def _choose(contacts: Sequence[IndexedContact], via: str) -> IndexMatch:
        others = tuple(contact.remote_id for contact in contacts[1:])
        return IndexMatch(contacts[0], via, len(contacts), len(contacts) > 1, others)

    async def _view(self, session: AsyncSession, row: HelpdeskContact) -> IndexedContact:
        numbers = (
            await session.execute(
                select(HelpdeskContactNumber.raw)
                .where(HelpdeskContactNumber.contact_id == row.id)
                .order_by(HelpdeskContactNumber.id)
            )
        ).scalars()
        return _indexed(row, numbers)

    async def upsert(
        self,
        session: AsyncSession,
        connection_id: int,
        contact: Contact,
        *,
        origin: str = "lookup",
        extra_numbers: Iterable[str] = (),
        seen_at: datetime | None = None,
    ) -> IndexedContact:
        """Store (or refresh) a helpdesk contact and its numbers; returns the indexed view."""
        row = (
            await session.execute(
                select(HelpdeskContact).where(
                    HelpdeskContact.connection_id == connection_id,
                    HelpdeskContact.remote_id == contact.id,
                )
            )
        ).scalar_one_or_none()
        if row is None:
            row = HelpdeskContact(connection_id=connection_id, remote_id=contact.id, origin=origin)
            session.add(row)
        row.first_name = contact.first_name
        row.last_name = contact.last_name
        row.email = contact.email
        row.popup_url = contact.popup_url or row.popup_url
        row.fields = _jsonable(contact.fields)
        row.fetched_at = seen_at or utcnow()
        if row.origin != "created":
            row.origin = origin
        await session.flush()
        await session.execute(
            delete(HelpdeskContactNumber).where(HelpdeskContactNumber.contact_id == row.id)
        )
        numbers = self._numbers(contact, extra_numbers)
        for kind, raw in numbers:
            parsed = self.normaliser.normalise(raw)
            session.add(
                HelpdeskContactNumber(
                    contact_id=row.id,
                    kind=kind,
                    raw=raw[:64],
                    e164=parsed.e164,
                    tail=last_digits(raw, self.tail_digits),
                )
            )
        await session.flush()
        return _indexed(row, (raw for _, raw in numbers))

    @staticmethod
    def _numbers(contact: Contact, extra: Iterable[str]) -> list[tuple[str, str]]:
        found: dict[str, str] = {}
        for name, value in contact.phones.items():
            text = str(value).strip() if value is not None else ""
            if text and text not in found:
                found[text] = _PHONE_KINDS.get(name, "other")
        for value in extra:
            if value and value.strip() and value.strip() not in found:
                found[value.strip()] = "business"
        return [(kind, raw) for raw, kind in found.items()]


def _indexed(row: HelpdeskContact | Row[Any], numbers: Iterable[str]) -> IndexedContact:
    return IndexedContact(
        remote_id=row.remote_id,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        popup_url=row.popup_url,
        numbers=tuple(numbers),
        origin=row.origin,
    )


def _jsonable(fields: dict[str, object]) -> dict[str, object]:
    return {
        str(k): v for k, v in fields.items() if isinstance(v, str | int | float | bool | type(None))
    }
