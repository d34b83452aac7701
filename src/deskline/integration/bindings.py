"""Helpdesk users bound to extensions (F2), with each extension's screen-pop setting (F7).

Auto-bind pairs an active helpdesk user and an extension that share an e-mail address
(compared case-insensitively) when neither is bound yet; it reports what it did and why it
skipped the rest. Unbound extensions are listed so the admin sees who takes no part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.integration.connection_settings import connected_row
from deskline.integration.extensions import list_extensions
from deskline.integration.problems import IntegrationError
from deskline.integration.users import display_name, list_users
from deskline.store.db import Database
from deskline.store.models import Extension, ExtensionBinding, HelpdeskUser


class PopMode(StrEnum):
    AUTO = "auto"  # the pop opens by itself (inbound calls), on pop_trigger
    MANUAL = "manual"  # the agent clicks to open the contact
    OFF = "off"


class PopTrigger(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


@dataclass(frozen=True)
class BindingView:
    id: int
    extension: str
    extension_name: str | None
    helpdesk_user_id: int
    user_remote_id: str
    user_name: str
    user_email: str | None
    user_active: bool
    method: str
    pop_mode: str
    pop_trigger: str


@dataclass
class AutoBindReport:
    bound: list[BindingView] = field(default_factory=list)
    already_bound: int = 0
    users_without_extension: list[str] = field(default_factory=list)
    extensions_without_user: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)


def _view(binding: ExtensionBinding, user: HelpdeskUser, ext: Extension | None) -> BindingView:
    return BindingView(
        id=binding.id,
        extension=binding.extension,
        extension_name=ext.name if ext else None,
        helpdesk_user_id=user.id,
        user_remote_id=user.remote_id,
        user_name=display_name(user),
        user_email=user.email,
        user_active=user.active,
        method=binding.method,
        pop_mode=binding.pop_mode,
        pop_trigger=binding.pop_trigger,
    )


async def _views(session: AsyncSession, connection_id: int) -> list[BindingView]:
    statement = (
        select(ExtensionBinding, HelpdeskUser, Extension)
        .join(HelpdeskUser, HelpdeskUser.id == ExtensionBinding.helpdesk_user_id)
        .outerjoin(Extension, Extension.number == ExtensionBinding.extension)
        .where(ExtensionBinding.connection_id == connection_id)
        .order_by(ExtensionBinding.extension)
    )
    return [_view(b, u, e) for b, u, e in (await session.execute(statement)).all()]


class BindingBook:
    """Lists, creates, changes and removes bindings of the connected helpdesk."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self) -> tuple[list[BindingView], list[Extension]]:
        """(the bindings, the extensions bound to nobody)."""
        async with self.db.read() as session:
            row = await connected_row(session)
            views = await _views(session, row.id)
            bound = {view.extension for view in views}
            unbound = [e for e in await list_extensions(session) if e.number not in bound]
            return views, unbound

    async def get(self, binding_id: int) -> BindingView:
        async with self.db.read() as session:
            row = await connected_row(session)
            for view in await _views(session, row.id):
                if view.id == binding_id:
                    return view
        raise IntegrationError(404, f"no binding {binding_id}")

    async def bind(
        self,
        helpdesk_user_id: int,
        extension: str,
        pop_mode: PopMode = PopMode.AUTO,
        pop_trigger: PopTrigger = PopTrigger.RINGING,
    ) -> BindingView:
        async with self.db.transaction() as session:
            row = await connected_row(session, for_update=True)
            user = await session.get(HelpdeskUser, helpdesk_user_id)
            if user is None or user.connection_id != row.id:
                raise IntegrationError(404, f"no helpdesk user {helpdesk_user_id}")
            ext = await session.scalar(select(Extension).where(Extension.number == extension))
            if ext is None:
                raise IntegrationError(
                    422, f"deskline knows no extension {extension[:64]!r}: add it first"
                )
            await _refuse_bound(session, row.id, extension)
            binding = ExtensionBinding(
                connection_id=row.id,
                helpdesk_user_id=user.id,
                extension=ext.number,
                method="manual",
                pop_mode=pop_mode.value,
                pop_trigger=pop_trigger.value,
            )
            session.add(binding)
            await session.flush()
            return _view(binding, user, ext)

    async def change(
        self, binding_id: int, pop_mode: PopMode | None, pop_trigger: PopTrigger | None
    ) -> BindingView:
        async with self.db.transaction() as session:
            row = await connected_row(session, for_update=True)
            binding = await session.get(ExtensionBinding, binding_id)
            if binding is None or binding.connection_id != row.id:
                raise IntegrationError(404, f"no binding {binding_id}")
            if pop_mode is not None:
                binding.pop_mode = pop_mode.value
            if pop_trigger is not None:
                binding.pop_trigger = pop_trigger.value
        return await self.get(binding_id)

    async def unbind(self, binding_id: int) -> None:
        async with self.db.transaction() as session:
            row = await connected_row(session, for_update=True)
            binding = await session.get(ExtensionBinding, binding_id)
            if binding is None or binding.connection_id != row.id:
                raise IntegrationError(404, f"no binding {binding_id}")
            await session.delete(binding)

    async def auto_bind(self) -> AutoBindReport:
        report = AutoBindReport()
        async with self.db.transaction() as session:
            row = await connected_row(session, for_update=True)
            existing = list(
                (
                    await session.execute(
                        select(ExtensionBinding).where(ExtensionBinding.connection_id == row.id)
                    )
                ).scalars()
            )
            bound_extensions = {b.extension for b in existing}
            bound_users = {b.helpdesk_user_id for b in existing}
            users_by_email: dict[str, list[HelpdeskUser]] = {}
            for user in await list_users(session, row.id):
                if user.active and user.email:
                    users_by_email.setdefault(user.email.strip().lower(), []).append(user)
            matched_emails: set[str] = set()
            for ext in await list_extensions(session):
                email = (ext.email or "").strip().lower()
                candidates = users_by_email.get(email, []) if email else []
                if ext.number in bound_extensions:
                    report.already_bound += 1
                    matched_emails.add(email)
                    continue
                if not candidates:
                    report.extensions_without_user.append(ext.number)
                    continue
                matched_emails.add(email)
                if len(candidates) > 1:
                    report.ambiguous.append(ext.number)
                    continue
                user = candidates[0]
                if user.id in bound_users:
                    report.already_bound += 1
                    continue
                binding = ExtensionBinding(
                    connection_id=row.id,
                    helpdesk_user_id=user.id,
                    extension=ext.number,
                    method="auto",
                )
                session.add(binding)
                await session.flush()
                bound_users.add(user.id)
                report.bound.append(_view(binding, user, ext))
            report.users_without_extension = sorted(
                (u[0].email or "") for e, u in users_by_email.items() if e not in matched_emails
            )
        return report


async def _refuse_bound(session: AsyncSession, connection_id: int, extension: str) -> None:
    taken = await session.scalar(
        select(ExtensionBinding).where(
            ExtensionBinding.connection_id == connection_id,
            ExtensionBinding.extension == extension,
        )
    )
    if taken is not None:
        raise IntegrationError(
            409, f"the extension {extension} is bound already (binding {taken.id}): unbind it first"
        )
