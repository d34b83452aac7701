"""Priorities: from job kinds, and through the context to the requests."""

from __future__ import annotations

import asyncio

import pytest

from deskline.budget import (
    Priority,
    current_max_wait,
    current_priority,
    priority_for_job_kind,
    request_priority,
)


@pytest.mark.parametrize(
    ("kind", "priority"),
    [
        ("helpdesk.lookup", Priority.SCREEN_POP),
        ("screen_pop.lookup", Priority.SCREEN_POP),
        ("helpdesk.ticket.create", Priority.TICKET),
        ("helpdesk.contact.create", Priority.TICKET),
        ("helpdesk.journal", Priority.JOURNAL),
        ("helpdesk.recording.link", Priority.JOURNAL),
        ("contacts.index.refresh", Priority.BACKGROUND),
        ("helpdesk.users.sync", Priority.BACKGROUND),
        ("something.else", Priority.JOURNAL),
        # the pipeline's own kinds (words joined by underscores)
        ("helpdesk.create_ticket", Priority.TICKET),
        ("helpdesk.create_contact", Priority.TICKET),
        ("helpdesk.call_journal", Priority.JOURNAL),
        ("helpdesk.screen_pop", Priority.SCREEN_POP),
        ("helpdesk.index_refresh", Priority.BACKGROUND),
        ("recording.prepare", Priority.JOURNAL),
    ],
)
def test_job_kinds_map_to_priorities(kind: str, priority: Priority) -> None:
    assert priority_for_job_kind(kind) is priority


def test_the_default_is_journal_and_blocks_nest() -> None:
    assert current_priority() is Priority.JOURNAL
    with request_priority(Priority.TICKET):
        assert current_priority() is Priority.TICKET
        with request_priority(Priority.SCREEN_POP):
            assert current_priority() is Priority.SCREEN_POP  # 0 is not "unset"
        with request_priority(None):
            assert current_priority() is Priority.TICKET
    assert current_priority() is Priority.JOURNAL


async def test_tasks_started_inside_a_block_inherit_its_priority() -> None:
    async def seen() -> Priority:
        return current_priority()

    with request_priority(Priority.BACKGROUND):
        inherited = await asyncio.create_task(seen())
    assert inherited is Priority.BACKGROUND
    assert await asyncio.create_task(seen()) is Priority.JOURNAL


def test_a_block_can_shorten_the_budget_wait() -> None:
    assert current_max_wait() is None
    with request_priority(Priority.SCREEN_POP, max_wait=1.5):
        assert (current_priority(), current_max_wait()) == (Priority.SCREEN_POP, 1.5)
        with request_priority(None):
            assert current_max_wait() == 1.5
    assert current_max_wait() is None
