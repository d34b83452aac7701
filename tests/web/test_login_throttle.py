"""The login throttle keeps its counts in the database: two serving processes (two throttles
on one database) share them, so a lockout holds whichever process a request reaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from deskline.store.db import Database
from deskline.store.models import LoginFailure
from deskline.web.auth.throttle import LoginThrottle

ADA = ("ada", "203.0.113.7")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def throttles(db: Database, clock: Clock) -> tuple[LoginThrottle, LoginThrottle]:
    def one() -> LoginThrottle:
        return LoginThrottle(
            db, max_failures=3, window_seconds=60, lockout_seconds=300, clock=clock
        )

    return one(), one()


async def rows(db: Database) -> int:
    async with db.read() as session:
        return int(
            (await session.execute(select(func.count()).select_from(LoginFailure))).scalar_one()
        )


async def test_failures_on_two_processes_add_up_to_one_lockout(db: Database) -> None:
    clock = Clock()
    first, second = throttles(db, clock)
    await first.failed(ADA)
    await second.failed(ADA)
    assert await first.locked_for(ADA) == 0
    await first.failed(ADA)  # the third within the window, counted across both

    assert await second.locked_for(ADA) == 300
    clock.advance(299)
    assert await first.locked_for(ADA) == 1
    clock.advance(1)
    assert await second.locked_for(ADA) == 0


async def test_the_lockout_is_per_username_and_address(db: Database) -> None:
    clock = Clock()
    first, second = throttles(db, clock)
    for _ in range(3):
        await first.failed(ADA)
    assert await second.locked_for(("ada", "198.51.100.1")) == 0
    assert await second.locked_for(("grace", ADA[1])) == 0
    assert await second.locked_for(ADA) > 0


async def test_failures_older_than_the_window_start_the_count_again(db: Database) -> None:
    clock = Clock()
    first, second = throttles(db, clock)
    await first.failed(ADA)
    await second.failed(ADA)
    clock.advance(61)
    await first.failed(ADA)
    await second.failed(ADA)
    assert await first.locked_for(ADA) == 0
    await second.failed(ADA)
    assert await first.locked_for(ADA) > 0


async def test_a_successful_login_clears_the_count(db: Database) -> None:
    clock = Clock()
    first, second = throttles(db, clock)
    await first.failed(ADA)
    await first.failed(ADA)
    await second.succeeded(ADA)
    await first.failed(ADA)
    await first.failed(ADA)
    assert await second.locked_for(ADA) == 0


async def test_stale_keys_are_forgotten_and_nothing_names_the_user(db: Database) -> None:
    clock = Clock()
    first, _ = throttles(db, clock)
    for user in ("ada", "grace", "alan"):
        await first.failed((user, "203.0.113.9"))
    for _ in range(3):
        await first.failed(ADA)  # locked out for 300 s
    assert await rows(db) == 4
    async with db.read() as session:
        keys = (await session.execute(select(LoginFailure.key))).scalars().all()
    assert all(len(key) == 64 and "ada" not in key for key in keys)

    clock.advance(61)  # the counts are stale, the lockout is not over
    await first.failed(("linus", "203.0.113.9"))  # pruning happens as failures come in
    assert await rows(db) == 2
    assert await first.locked_for(ADA) > 0

    clock.advance(240)
    await first.failed(("linus", "203.0.113.9"))
    assert await rows(db) == 1
    assert await first.locked_for(ADA) == 0
