"""Direct statements: the same rows, counts, errors and bookkeeping as through SQLAlchemy, on
both dialects; on an inline SQLite file without SQLAlchemy's execution layer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from deskline.errors import StorageError
from deskline.store.db import Database
from deskline.store.direct import DirectStatement, bound
from deskline.store.models import CallAction, Job
from deskline.store.repositories._dialect import insert_of
from tests.store.action_rows import ACTIONS, ADD, AT, action

JOBS = cast(Table, Job.__table__)
_READ = DirectStatement(
    select(ACTIONS.c.key, ACTIONS.c.detail, ACTIONS.c.updated_at, ACTIONS.c.remote_id)
    .where(ACTIONS.c.pbx_call_id == bindparam("call_id"), ACTIONS.c.state == "done")
    .order_by(ACTIONS.c.key)
)
_TOUCH = DirectStatement(
    update(ACTIONS)
    .where(ACTIONS.c.pbx_call_id == bindparam("call_id"))
    .values(updated_at=bindparam("now"), remote_id=bindparam("remote"))
)
_UPSERT = DirectStatement(
    lambda dialect: (
        insert_of(dialect, ACTIONS)
        .values(ADD.statement(dialect)._values)  # type: ignore[attr-defined]
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(ACTIONS.c.id)
    )
)


async def test_rows_come_back_typed_as_through_sqlalchemy(db: Database) -> None:
    async with db.transaction() as session:
        await ADD.execute(session, action("b", remote_id="7"))
        await ADD.execute(session, action("a"))
        await ADD.execute(session, action("z", state="pending"))
    async with db.read() as session:
        rows = (await _READ.execute(session, {"call_id": "c1"})).rows
        through = (await session.execute(_READ.statement(db.dialect), {"call_id": "c1"})).all()
    assert [tuple(row) for row in rows] == [tuple(row) for row in through]
    assert [row.key for row in rows] == ["a", "b"]  # the statement's own "done" applies
    assert rows[1].remote_id == "7"
    assert rows[0].detail == {"quote": 'it\'s "{{ x }}"\r\n', "n": 1}
    assert rows[0].updated_at == AT and rows[0].updated_at.tzinfo is not None


async def test_counts_returning_and_conflicts(db: Database) -> None:
    async with db.transaction() as session:
        added = await _UPSERT.execute(session, action("a"))
        again = await _UPSERT.execute(session, action("a"))
        touched = await _TOUCH.execute(
            session, {"call_id": "c1", "now": AT + timedelta(seconds=1), "remote": "9"}
        )
        missed = await _TOUCH.execute(session, {"call_id": "c2", "now": AT, "remote": "9"})
    assert isinstance(added.scalar(), int)
    assert again.rows == [] and again.scalar() is None
    assert (touched.rowcount, missed.rowcount) == (1, 0)
    async with db.read() as session:
        (row,) = (await _READ.execute(session, {"call_id": "c1"})).rows
    assert (row.remote_id, row.updated_at) == ("9", AT + timedelta(seconds=1))


async def test_errors_are_sqlalchemys_and_roll_back_with_the_transaction(db: Database) -> None:
    async with db.transaction() as session:
        await ADD.execute(session, action("a"))
    with pytest.raises(StorageError) as raised:
        async with db.transaction() as session:
            await ADD.execute(session, action("b"))
            await ADD.execute(session, action("a"))  # the key is unique
    assert isinstance(raised.value.__cause__, IntegrityError)
    async with db.read() as session:
        keys = [row.key for row in await _READ.execute(session, {"call_id": "c1"})]
    assert keys == ["a"]


async def test_a_missing_parameter_is_named(db: Database) -> None:
    async with db.read() as session:
        with pytest.raises(Exception, match="call_id"):
            await _READ.execute(session, {})


async def test_pending_orm_objects_are_flushed_first(db: Database) -> None:
    async with db.transaction() as session:
        session.add(CallAction(**action("orm")))
        rows = (await _READ.execute(session, {"call_id": "c1"})).rows
    assert [row.key for row in rows] == ["orm"]


async def test_writes_are_noted_for_the_read_caches(db: Database) -> None:
    before = db.changes.generation(["call_actions", "jobs"])
    async with db.transaction() as session:
        await ADD.execute(session, action("a"))
    after = db.changes.generation(["call_actions", "jobs"])
    assert after[1] == before[1] + 1  # call_actions
    assert after[2] == before[2]  # jobs untouched
    async with db.read() as session:
        await _READ.execute(session, {"call_id": "c1"})
    assert db.changes.generation(["call_actions", "jobs"]) == after


async def test_sqlite_runs_on_the_driver_and_postgresql_through_sqlalchemy(db: Database) -> None:
    seen: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    async with db.transaction() as session:
        await ADD.execute(session, action("a"))
    inserts = [s for s in seen if s.startswith("INSERT INTO call_actions")]
    assert len(inserts) == (0 if db.dialect == "sqlite" else 1)


def test_statements_it_cannot_run_are_refused_when_made() -> None:
    with pytest.raises(ValueError, match="expand"):
        DirectStatement(
            select(JOBS.c.id).where(JOBS.c.id.in_(bindparam("ids", expanding=True)))
        ).compiled(_sqlite_dialect())
    with pytest.raises(ValueError, match="'state'"):  # its default would be missed
        DirectStatement(insert(ACTIONS).values(bound("key", "created_at", "updated_at")))
    with pytest.raises(ValueError, match="updated_at"):  # its onupdate would be missed
        DirectStatement(update(ACTIONS).values(state=bindparam("new_state")))
    with pytest.raises(ValueError, match="plain name"):
        DirectStatement(select(ACTIONS.c.key.label("_hidden")))
    # a multi-row VALUES: every row must give the defaulted columns
    row = {"key": "k", "state": "done", "detail": {}, "created_at": None, "updated_at": None}
    DirectStatement(insert(ACTIONS).values([row, row]))
    without_state = {name: value for name, value in row.items() if name != "state"}
    with pytest.raises(ValueError, match="'state'"):
        DirectStatement(insert(ACTIONS).values([without_state, without_state]))


def _sqlite_dialect() -> Any:
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


async def test_each_transaction_of_a_session_runs_on_its_own_connection(db: Database) -> None:
    async with db.sessions() as session:
        async with session.begin():
            await ADD.execute(session, action("a"))
        with pytest.raises(RuntimeError):
            async with session.begin():
                await ADD.execute(session, action("b"))
                raise RuntimeError("rolled back")
        async with session.begin():
            await ADD.execute(session, action("c"))
            rows = (await _READ.execute(session, {"call_id": "c1"})).rows
    assert [row.key for row in rows] == ["a", "c"]
