"""Custom helpdesk templates: the XML an admin uploaded and its optional logo, by key.

Validation and the limit on how many custom templates may exist are the caller's rules; this
module only stores rows. :func:`lock_templates` serialises writers that check that limit
(PostgreSQL: a transaction-level advisory lock; SQLite write transactions are serial anyway).
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.store.models import CustomTemplate
from deskline.store.types import utcnow

_ADVISORY_LOCK_ID = 0x6465736B_746D706C  # "desktmpl"


async def lock_templates(session: AsyncSession) -> None:
    """Make concurrent writers of custom templates take turns until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})


async def count_templates(session: AsyncSession) -> int:
    statement = select(func.count()).select_from(CustomTemplate)
    return int((await session.execute(statement)).scalar_one())


async def list_templates(session: AsyncSession) -> list[CustomTemplate]:
    statement = select(CustomTemplate).order_by(CustomTemplate.key)
    return list((await session.execute(statement)).scalars())


async def get_template(session: AsyncSession, key: str) -> CustomTemplate | None:
    statement = select(CustomTemplate).where(CustomTemplate.key == key)
    return (await session.execute(statement)).scalar_one_or_none()


async def add_template(
    session: AsyncSession,
    *,
    key: str,
    name: str,
    xml: str,
    logo: bytes | None = None,
    logo_media_type: str | None = None,
) -> CustomTemplate:
    """Add a template; ``ValueError`` if one with this key exists."""
    if await get_template(session, key) is not None:
        raise ValueError(f"a custom template with key {key!r} exists already")
    now = utcnow()
    row = CustomTemplate(
        key=key,
        name=name,
        xml=xml,
        logo=logo,
        logo_media_type=logo_media_type,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def replace_template(
    session: AsyncSession,
    key: str,
    *,
    name: str,
    xml: str,
    logo: bytes | None = None,
    logo_media_type: str | None = None,
    keep_logo: bool = True,
) -> CustomTemplate:
    """Replace a template's XML (and its logo, unless ``keep_logo`` and none is given).

    ``LookupError`` if there is no custom template with this key."""
    row = await get_template(session, key)
    if row is None:
        raise LookupError(f"no custom template with key {key!r}")
    row.name = name
    row.xml = xml
    if logo is not None or not keep_logo:
        row.logo = logo
        row.logo_media_type = logo_media_type
    row.updated_at = utcnow()
    await session.flush()
    return row


async def delete_template(session: AsyncSession, key: str) -> bool:
    row = await get_template(session, key)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True
