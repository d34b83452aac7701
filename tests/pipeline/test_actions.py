"""``call_actions`` rows: created once per (call, action), updated in place by one upsert."""

from __future__ import annotations

from deskline.pipeline.actions import (
    ActionState,
    action_key,
    actions_of_call,
    get_action,
    record_action,
    record_done_actions,
)
from deskline.store.db import Database


async def test_record_action_creates_then_updates_keeping_what_is_not_given(db: Database) -> None:
    async with db.transaction() as session:
        created = await record_action(
            session, "pbx", "c1", "ticket", state=ActionState.PENDING, detail={"try": 1}
        )
        assert (created.key, created.state, created.remote_id, created.detail) == (
            action_key("pbx", "c1", "ticket"),
            ActionState.PENDING,
            None,
            {"try": 1},
        )
    async with db.transaction() as session:
        updated = await record_action(session, "pbx", "c1", "ticket", remote_id="T-42")
        assert updated.id == created.id
        assert (updated.state, updated.remote_id, updated.detail) == (
            ActionState.DONE,
            "T-42",
            {"try": 1},
        )
        loaded = await get_action(session, "pbx", "c1", "ticket")
        assert loaded is not None and loaded.remote_id == "T-42"
        await record_action(session, "pbx", "c1", "ticket", detail={"try": 2})
        await record_action(session, "pbx", "c1", "contact", remote_id="U-7")

    async with db.read() as session:
        rows = await actions_of_call(session, "pbx", "c1")
    assert {name: (row.state, row.remote_id, row.detail) for name, row in rows.items()} == {
        "ticket": (ActionState.DONE, "T-42", {"try": 2}),
        "contact": (ActionState.DONE, "U-7", {}),
    }
    assert rows["ticket"].updated_at >= rows["ticket"].created_at


async def test_done_actions_are_recorded_together_creating_or_overwriting(db: Database) -> None:
    async with db.transaction() as session:
        await record_action(
            session, "pbx", "c1", "ticket", state=ActionState.PENDING, detail={"try": 1}
        )
    async with db.transaction() as session:
        await record_done_actions(
            session,
            "pbx",
            "c1",
            {
                "ticket": ("T-9", {"timing": "after"}),
                "journal": ("T-9", {"in_ticket": True}),
                "contact": ("U-1", {"via": "index"}),
            },
        )
        await record_done_actions(session, "pbx", "c1", {})  # nothing to do

    async with db.read() as session:
        rows = await actions_of_call(session, "pbx", "c1")
        other_call = await actions_of_call(session, "pbx", "c2")
    assert {name: (row.state, row.remote_id, row.detail) for name, row in rows.items()} == {
        "ticket": (ActionState.DONE, "T-9", {"timing": "after"}),
        "journal": (ActionState.DONE, "T-9", {"in_ticket": True}),
        "contact": (ActionState.DONE, "U-1", {"via": "index"}),
    }
    assert all(row.key == action_key("pbx", "c1", name) for name, row in rows.items())
    assert other_call == {}
