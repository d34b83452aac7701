"""Phonebook groups and their contacts, with the read-only rule of the synced group (F8).

A group whose ``connection_id`` is set is the contact-sync group of the connected helpdesk
(label ``Helpdesk``): its contacts are written by the contact sync only, and the admin API
refuses to add, change or delete them (409) until the helpdesk is disconnected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.integration.problems import IntegrationError
from deskline.store.db import Database
from deskline.store.models import PhonebookContact, PhonebookGroup

NUMBER_KINDS = ("business", "mobile", "home", "fax", "other")
MAX_GROUP_NAME = 200


@dataclass(frozen=True)
class GroupView:
    id: int
    name: str
    label: str | None
    synced: bool
    contacts: int


@dataclass(frozen=True)
class ContactData:
    """What the admin sends for a contact (validated by :func:`checked_contact`)."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    email: str | None = None
    remark: str | None = None
    numbers: dict[str, str] | None = None


def contact_name(contact: PhonebookContact) -> str:
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return name or contact.company or ""


def checked_contact(data: ContactData) -> dict[str, Any]:
    """The column values of a contact, or a 422 naming what is wrong."""
    problems: list[dict[str, str]] = []
    numbers: dict[str, str] = {}
    for kind, value in (data.numbers or {}).items():
        if kind not in NUMBER_KINDS:
            problems.append(
                {"path": f"numbers.{kind}", "message": "kinds: " + ", ".join(NUMBER_KINDS)}
            )
        elif value and value.strip():
            numbers[kind] = value.strip()[:64]
    values = {
        "first_name": _text(data.first_name),
        "last_name": _text(data.last_name),
        "company": _text(data.company),
        "email": _text(data.email, 320),
        "remark": _text(data.remark, 2000),
        "numbers": numbers,
    }
    if not (values["first_name"] or values["last_name"] or values["company"]):
        problems.append({"path": "first_name", "message": "a contact needs a name or a company"})
    if not numbers:
        problems.append({"path": "numbers", "message": "a contact needs at least one number"})
    if problems:
        raise IntegrationError(422, "the contact is invalid", problems)
    return values


def _text(value: str | None, length: int = 255) -> str | None:
    text = (value or "").strip()
    return text[:length] or None


class Phonebook:
    """Groups and contacts (the admin's side)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def groups(self) -> list[GroupView]:
        async with self.db.read() as session:
            counts = (
                select(PhonebookContact.group_id, func.count().label("n"))
                .group_by(PhonebookContact.group_id)
                .subquery()
            )
            statement = (
                select(PhonebookGroup, counts.c.n)
                .outerjoin(counts, counts.c.group_id == PhonebookGroup.id)
                .order_by(PhonebookGroup.name)
            )
            rows = (await session.execute(statement)).all()
            return [_group_view(group, count or 0) for group, count in rows]

    async def group(self, group_id: int) -> GroupView:
        for view in await self.groups():
            if view.id == group_id:
                return view
        raise IntegrationError(404, f"no phonebook group {group_id}")

    async def create_group(self, name: str) -> GroupView:
        name = name.strip()
        if not name or len(name) > MAX_GROUP_NAME:
            raise IntegrationError(422, f"a group name needs 1 to {MAX_GROUP_NAME} characters")
        async with self.db.transaction() as session:
            taken = await session.scalar(
                select(PhonebookGroup.id).where(PhonebookGroup.name == name)
            )
            if taken is not None:
                raise IntegrationError(409, f"a phonebook group named {name!r} exists already")
            group = PhonebookGroup(name=name)
            session.add(group)
            await session.flush()
            return _group_view(group, 0)

    async def delete_group(self, group_id: int) -> None:
        async with self.db.transaction() as session:
            group = await _editable_group(session, group_id)
            await session.delete(group)

    async def contacts(self, group_id: int) -> list[PhonebookContact]:
        async with self.db.read() as session:
            if await session.get(PhonebookGroup, group_id) is None:
                raise IntegrationError(404, f"no phonebook group {group_id}")
            statement = (
                select(PhonebookContact)
                .where(PhonebookContact.group_id == group_id)
                .order_by(
                    PhonebookContact.first_name, PhonebookContact.last_name, PhonebookContact.id
                )
            )
            return list((await session.execute(statement)).scalars())

    async def add_contact(self, group_id: int, data: ContactData) -> PhonebookContact:
        values = checked_contact(data)
        async with self.db.transaction() as session:
            await _editable_group(session, group_id)
            contact = PhonebookContact(group_id=group_id, **values)
            session.add(contact)
            await session.flush()
            return contact

    async def change_contact(
        self, group_id: int, contact_id: int, data: ContactData
    ) -> PhonebookContact:
        values = checked_contact(data)
        async with self.db.transaction() as session:
            await _editable_group(session, group_id)
            contact = await _contact(session, group_id, contact_id)
            for name, value in values.items():
                setattr(contact, name, value)
            await session.flush()
            return contact

    async def delete_contact(self, group_id: int, contact_id: int) -> None:
        async with self.db.transaction() as session:
            await _editable_group(session, group_id)
            await session.delete(await _contact(session, group_id, contact_id))


def _group_view(group: PhonebookGroup, count: int) -> GroupView:
    return GroupView(group.id, group.name, group.label, group.connection_id is not None, count)


async def _editable_group(session: AsyncSession, group_id: int) -> PhonebookGroup:
    group = await session.get(PhonebookGroup, group_id)
    if group is None:
        raise IntegrationError(404, f"no phonebook group {group_id}")
    if group.connection_id is not None:
        raise IntegrationError(
            409,
            f"the group {group.name!r} is synced from the connected helpdesk ({group.label}): its "
            "contacts are read-only while the helpdesk is connected; change them in the helpdesk",
        )
    return group


async def _contact(session: AsyncSession, group_id: int, contact_id: int) -> PhonebookContact:
    contact = await session.get(PhonebookContact, contact_id)
    if contact is None or contact.group_id != group_id:
        raise IntegrationError(404, f"no contact {contact_id} in group {group_id}")
    return contact
