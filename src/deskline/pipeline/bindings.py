"""The bound extensions of the connected helpdesk: who is whom, and how each wants pops (F2, F7)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.calls.model import Call, Direction
from deskline.pipeline.variables import Agent
from deskline.store.models import ExtensionBinding, HelpdeskUser


class PopMode:
    AUTO = "auto"
    MANUAL = "manual"
    OFF = "off"


@dataclass(frozen=True)
class BoundAgent:
    """A bound extension: its helpdesk user and its screen-pop setting."""

    agent: Agent
    pop_mode: str = PopMode.AUTO
    pop_trigger: str = "ringing"

    @property
    def extension(self) -> str:
        return self.agent.extension


async def bound_agents(session: AsyncSession, connection_id: int) -> dict[str, BoundAgent]:
    """Every bound extension of the connection, by extension number."""
    rows = await session.execute(
        select(ExtensionBinding, HelpdeskUser)
        .join(HelpdeskUser, HelpdeskUser.id == ExtensionBinding.helpdesk_user_id)
        .where(ExtensionBinding.connection_id == connection_id)
    )
    found: dict[str, BoundAgent] = {}
    for binding, user in rows:
        name = " ".join(p for p in (user.first_name, user.last_name) if p) or None
        found[binding.extension] = BoundAgent(
            Agent(binding.extension, user.remote_id, name, user.email),
            binding.pop_mode,
            binding.pop_trigger,
        )
    return found


def involved_extensions(call: Call) -> list[str]:
    """The extensions a call involves: its legs, the answering agent, an outbound caller."""
    found = [leg.extension for leg in call.legs]
    if call.answered_by:
        found.append(call.answered_by)
    if call.direction is Direction.OUTBOUND and call.caller.is_extension and call.caller.number:
        found.append(call.caller.number)
    return list(dict.fromkeys(found))


def involved_bound(call: Call, bound: dict[str, BoundAgent]) -> list[BoundAgent]:
    return [bound[ext] for ext in involved_extensions(call) if ext in bound]


def responsible_agent(call: Call, bound: dict[str, BoundAgent]) -> BoundAgent | None:
    """The agent a ticket is assigned to: who answered, else the outbound caller, else the
    first bound extension rung."""
    for extension in _preference(call):
        if extension in bound:
            return bound[extension]
    return None


def _preference(call: Call) -> Iterable[str]:
    if call.answered_by:
        yield call.answered_by
    if call.direction is Direction.OUTBOUND and call.caller.number:
        yield call.caller.number
    for leg in call.legs:
        yield leg.extension
