"""PostgreSQL notices: delivered when the writer's transaction commits, once per transaction
and channel, never for a rollback; nothing on SQLite."""

from __future__ import annotations

import asyncio

import pytest

from deskline.store.db import Database
from deskline.store.notices import ChannelListener, notify

CHANNEL = "deskline_test_channel"


class Notices:
    def __init__(self) -> None:
        self.count = 0
        self.changed = asyncio.Event()

    def __call__(self) -> None:
        self.count += 1
        self.changed.set()

    async def settle(self) -> int:
        """The count once no notice came for a moment."""
        while True:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 0.3)
            except TimeoutError:
                return self.count


@pytest.mark.postgres
async def test_notices_come_with_commits_once_per_transaction(postgres_db: Database) -> None:
    notices = Notices()
    listener = ChannelListener(postgres_db, CHANNEL, notices)
    listening = asyncio.create_task(listener.run())
    try:
        await asyncio.wait_for(listener.listening.wait(), 10)
        assert await notices.settle() == 1  # the look when the listening began

        async with postgres_db.transaction() as session:
            await notify(session, CHANNEL)
            await notify(session, CHANNEL)  # the same transaction: one notice
            assert await notices.settle() == 1  # nothing before the commit
        assert await notices.settle() == 2

        with pytest.raises(RuntimeError):
            async with postgres_db.transaction() as session:
                await notify(session, CHANNEL)
                raise RuntimeError("rolled back")
        assert await notices.settle() == 2

        async with postgres_db.sessions() as session:  # one session, two transactions
            async with session.begin():
                await notify(session, CHANNEL)
            async with session.begin():
                await notify(session, CHANNEL)
        assert await notices.settle() == 4
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)


async def test_on_sqlite_notify_does_nothing(sqlite_db: Database) -> None:
    async with sqlite_db.transaction() as session:
        await notify(session, CHANNEL)
        assert not session.info  # not even remembered
