"""Login throttling: after a few failed logins for one username from one address, that pair
is locked out for a while. In memory, per process; bounded so a flood cannot exhaust it."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

Key = tuple[str, str]


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_seconds: float = 900.0,
        lockout_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.lockout_seconds = lockout_seconds
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[Key, _Failures] = OrderedDict()

    def locked_for(self, key: Key) -> float:
        """Seconds until ``key`` may try again (0: it may try now)."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        return max(0.0, entry.locked_until - self._clock())

    def failed(self, key: Key) -> None:
        now = self._clock()
        entry = self._entries.pop(key, None) or _Failures()
        entry.times = [t for t in entry.times if now - t < self.window_seconds] + [now]
        if len(entry.times) >= self.max_failures:
            entry.locked_until = now + self.lockout_seconds
            entry.times.clear()
        self._entries[key] = entry
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def succeeded(self, key: Key) -> None:
        self._entries.pop(key, None)
