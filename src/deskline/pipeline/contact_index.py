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

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update

from deskline.connector.results import Contact
from deskline.phones import NumberNormaliser, digits_of, last_digits
from deskline.store.direct import DirectStatement, DirectStatements, bound, listed, spread
from deskline.store.direct_transaction import Statements
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
_CONTACT_VIEW = (
    _CONTACTS.c.id,
    _CONTACTS.c.remote_id,
    _CONTACTS.c.first_name,
    _CONTACTS.c.last_name,
    _CONTACTS.c.email,
    _CONTACTS.c.popup_url,
    _CONTACTS.c.origin,
)
"""What an :class:`IndexedContact` is made of (with its numbers)."""
_CONTACTS_BY_ID = DirectStatements(
    lambda count: (
        select(*_CONTACT_VIEW, _NUMBERS.c.raw)
        .select_from(_CONTACTS.outerjoin(_NUMBERS, _NUMBERS.c.contact_id == _CONTACTS.c.id))
        .where(
            _CONTACTS.c.connection_id == bindparam("connection_id"),
            _CONTACTS.c.id.in_(listed("id", count)),
        )
        .order_by(_CONTACTS.c.fetched_at.desc(), _CONTACTS.c.id.desc(), _NUMBERS.c.id)
    ),
)
_CONTACT_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "popup_url",
    "fields",
    "fetched_at",
    "origin",
)
_CONTACT = DirectStatement(
    select(*_CONTACT_VIEW).where(
        _CONTACTS.c.connection_id == bindparam("connection_id"),
        _CONTACTS.c.remote_id == bindparam("remote_id"),
    )
)
_ADD_CONTACT = DirectStatement(
    insert(_CONTACTS)
    .values(bound("connection_id", "remote_id", *_CONTACT_COLUMNS))
    .returning(_CONTACTS.c.id)
)
_CHANGE_CONTACT = DirectStatement(
    update(_CONTACTS)
    .where(_CONTACTS.c.id == bindparam("contact_id"))
    .values(bound(*_CONTACT_COLUMNS))
)
_NUMBERS_OF = DirectStatement(
    select(_NUMBERS.c.raw)
    .where(_NUMBERS.c.contact_id == bindparam("contact_id"))
    .order_by(_NUMBERS.c.id)
)
_DROP_NUMBERS = DirectStatement(
    delete(_NUMBERS).where(_NUMBERS.c.contact_id == bindparam("contact_id"))
)
_ADD_NUMBER = DirectStatement(
    insert(_NUMBERS).values(bound("contact_id", "kind", "raw", "e164", "tail"))
)
"""Built once (per number of values), run on the driver (:mod:`deskline.store.direct`): finds
run at every ring."""


async def _contacts(
    on: Statements, connection_id: int, candidates: Iterable[int]
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
        on, {"connection_id": connection_id, **spread("id", ids)}
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

    async def find(self, on: Statements, connection_id: int, number: str) -> IndexMatch:
        """The contact of ``number`` (see the module's rules)."""
        parsed = self.normaliser.normalise(number)
        variants = self.normaliser.variants(number)
        if variants or parsed.e164:
            ids = await _BY_VARIANTS(len(variants)).execute(
                on, {"e164": parsed.e164, **spread("variant", list(variants))}
            )
            rows = await _contacts(on, connection_id, ids.scalars())
            if rows:
                return self._choose(rows, "e164")
        tail = last_digits(number, self.tail_digits)
        if len(tail) < self.tail_digits:
            return IndexMatch()
        ids = await _BY_TAIL.execute(on, {"tail": tail})
        rows = await _contacts(on, connection_id, ids.scalars())
        return self._choose(rows, "tail") if rows else IndexMatch()

    async def get(
        self, session: Statements, connection_id: int, remote_id: str
    ) -> IndexedContact | None:
        row = (
            await _CONTACT.execute(
                session, {"connection_id": connection_id, "remote_id": remote_id}
            )
        ).first()
        if row is None:
            return None
        numbers = await _NUMBERS_OF.execute(session, {"contact_id": row.id})
        return _indexed(row, numbers.scalars())

    @staticmethod
    def _choose(contacts: Sequence[IndexedContact], via: str) -> IndexMatch:
        others = tuple(contact.remote_id for contact in contacts[1:])
        return IndexMatch(contacts[0], via, len(contacts), len(contacts) > 1, others)

    async def upsert(
        self,
        session: Statements,
        connection_id: int,
        contact: Contact,
        *,
        origin: str = "lookup",
        extra_numbers: Iterable[str] = (),
        seen_at: datetime | None = None,
    ) -> IndexedContact:
        """Store (or refresh) a helpdesk contact and its numbers; returns the indexed view.

        A contact deskline created keeps ``origin="created"``; a known popup URL is kept when
        the helpdesk sends none."""
        key = {"connection_id": connection_id, "remote_id": contact.id}
        existing = (await _CONTACT.execute(session, key)).first()
        popup_url = contact.popup_url or (existing.popup_url if existing else None)
        kept_origin = "created" if existing and existing.origin == "created" else origin
        values: dict[str, object] = {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "popup_url": popup_url,
            "fields": _jsonable(contact.fields),
            "fetched_at": seen_at or utcnow(),
            "origin": kept_origin,
        }
        if existing is None:
            added = await _ADD_CONTACT.execute(session, {**key, **values})
            contact_id = added.scalar()
        else:
            await _CHANGE_CONTACT.execute(session, {"contact_id": existing.id, **values})
            contact_id = existing.id
        await _DROP_NUMBERS.execute(session, {"contact_id": contact_id})
        numbers = self._numbers(contact, extra_numbers)
        for kind, raw in numbers:
            await _ADD_NUMBER.execute(
                session,
                {
                    "contact_id": contact_id,
                    "kind": kind,
                    "raw": raw[:64],
                    "e164": self.normaliser.normalise(raw).e164,
                    "tail": last_digits(raw, self.tail_digits),
                },
            )
        return IndexedContact(
            remote_id=contact.id,
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            popup_url=popup_url,
            numbers=tuple(raw for _, raw in numbers),
            origin=kept_origin,
        )

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


def _indexed(row: Any, numbers: Iterable[str]) -> IndexedContact:
    """``row``: a row of :data:`_CONTACT_VIEW`'s columns."""
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
