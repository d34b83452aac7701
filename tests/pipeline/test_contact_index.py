"""The local contact index: E.164 variants, the last-digits fallback, several matches."""

from __future__ import annotations

from datetime import timedelta

from deskline.connector import Contact
from deskline.phones import NumberNormaliser
from deskline.pipeline.contact_index import ContactIndex, is_lookupable
from deskline.store.db import Database
from deskline.store.models import HelpdeskConnection
from deskline.store.types import utcnow


async def _connection(db: Database) -> int:
    async with db.transaction() as session:
        row = HelpdeskConnection(template_key="zendesk", name="Zendesk", status="connected")
        session.add(row)
        await session.flush()
        return row.id


def contact(remote_id: str, number: str, name: str = "Ruth Baker") -> Contact:
    return Contact("End-user", remote_id, first_name=name, phones={"BusinessNumber": number})


async def test_variants_and_the_last_digits_fallback(sqlite_db: Database) -> None:
    index = ContactIndex(NumberNormaliser("US"))
    connection = await _connection(sqlite_db)
    async with sqlite_db.transaction() as session:
        await index.upsert(session, connection, contact("1", "+1 (513) 555-7611"))
        await index.upsert(session, connection, contact("2", "0049 30 1234567", "Jonas"))
    async with sqlite_db.read() as session:
        for asked in ("+15135557611", "5135557611", "15135557611", "(513) 555-7611"):
            match = await index.find(session, connection, asked)
            assert (match.contact and match.contact.remote_id, match.via) == ("1", "e164"), asked
        fallback = await index.find(session, connection, "+4930 99 1234567")
        assert (fallback.contact and fallback.contact.remote_id, fallback.via) == ("2", "tail")
        assert not (await index.find(session, connection, "+15135550000")).found
        assert not (await index.find(session, connection, "7611")).found


async def test_several_matches_pick_the_most_recently_seen_and_say_so(sqlite_db: Database) -> None:
    index = ContactIndex(NumberNormaliser("US"))
    connection = await _connection(sqlite_db)
    async with sqlite_db.transaction() as session:
        older = utcnow() - timedelta(days=3)
        await index.upsert(session, connection, contact("old", "+15135557611"), seen_at=older)
        await index.upsert(session, connection, contact("new", "+15135557611", "Ruth B."))
    async with sqlite_db.read() as session:
        match = await index.find(session, connection, "+15135557611")
    assert match.contact is not None and match.contact.remote_id == "new"
    assert match.ambiguous and match.others == ("old",)


def test_anonymous_extensions_and_own_numbers_are_not_looked_up() -> None:
    normaliser = NumberNormaliser("US")
    own = ["+1 555 000 1111"]
    assert is_lookupable(normaliser, "+15135557611", own)
    for number in ("anonymous", "", None, "2005", "+15550001111", "5550001111"):
        assert not is_lookupable(normaliser, number, own), number
