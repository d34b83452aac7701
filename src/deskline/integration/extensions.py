"""The PBX extensions deskline knows: number, name, e-mail (used by auto-bind, F2)."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.integration.problems import IntegrationError
from deskline.store.db import Database
from deskline.store.models import Extension, ExtensionBinding

EXTENSION_PATTERN = re.compile(r"^[0-9A-Za-z*#+_.-]{1,64}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


def normalise_email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if not EMAIL_PATTERN.match(text):
        raise IntegrationError(
            422,
            f"{text[:80]!r} is not an e-mail address",
            [{"path": "email", "message": "invalid"}],
        )
    return text


async def list_extensions(session: AsyncSession) -> list[Extension]:
    return list((await session.execute(select(Extension).order_by(Extension.number))).scalars())


class ExtensionBook:
    """Adds, lists and removes extensions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self) -> list[Extension]:
        async with self.db.read() as session:
            return await list_extensions(session)

    async def add(
        self, number: str, name: str | None, email: str | None, source: str = "manual"
    ) -> Extension:
        number = number.strip()
        if not EXTENSION_PATTERN.match(number):
            raise IntegrationError(
                422,
                "an extension number has 1 to 64 characters: digits, letters, * # + _ . -",
                [{"path": "number", "message": "invalid extension number"}],
            )
        clean_email = normalise_email(email)
        async with self.db.transaction() as session:
            exists = await session.scalar(select(Extension.id).where(Extension.number == number))
            if exists is not None:
                raise IntegrationError(409, f"the extension {number} exists already")
            row = Extension(
                number=number, name=(name or "").strip()[:255] or None, email=clean_email,
                source=source,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            return row

    async def remove(self, extension_id: int) -> None:
        """Remove an extension and the bindings to it."""
        async with self.db.transaction() as session:
            row = await session.get(Extension, extension_id)
            if row is None:
                raise IntegrationError(404, f"no extension {extension_id}")
            await session.execute(
                delete(ExtensionBinding).where(ExtensionBinding.extension == row.number)
            )
            await session.delete(row)
