"""Login throttling: after a few failed logins for one username from one address, that pair
is locked out for a while.

The count and the lockout live in the database (``login_failures``), so every serving process
sees them: behind a load balancer an attacker gets ``max_failures`` tries per pair, not that
many per process. A key is a hash of the pair (usernames and addresses are not stored); keys
untouched for longer than the window, and out of any lockout, are pruned as failures come in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from deskline.store.db import Database
from deskline.store.repositories import login_failures
from deskline.store.types import utcnow

Key = tuple[str, str]


def hashed(key: Key) -> str:
    username, address = key
    return hashlib.sha256(f"{username}\0{address}".encode()).hexdigest()


class LoginThrottle:
    def __init__(
        self,
        db: Database,
        *,
        max_failures: int = 5,
        window_seconds: float = 900.0,
        lockout_seconds: float = 300.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_seconds)
        self.lockout = timedelta(seconds=lockout_seconds)
        self._clock = clock

    def __repr__(self) -> str:
        return f"LoginThrottle({self.max_failures} per {self.window}, lockout {self.lockout})"

    async def locked_for(self, key: Key) -> float:
        """Seconds until ``key`` may try again (0: it may try now)."""
        async with self.db.read() as session:
            until = await login_failures.locked_until(session, hashed(key))
        if until is None:
            return 0.0
        return max(0.0, (until - self._clock()).total_seconds())

    async def failed(self, key: Key) -> None:
        now = self._clock()
        async with self.db.transaction() as session:
            await login_failures.record_failure(
                session,
                hashed(key),
                now=now,
                window=self.window,
                max_failures=self.max_failures,
                lockout=self.lockout,
            )
            await login_failures.prune(session, now=now, idle_since=now - self.window)

    async def succeeded(self, key: Key) -> None:
        async with self.db.transaction() as session:
            await login_failures.clear(session, hashed(key))
