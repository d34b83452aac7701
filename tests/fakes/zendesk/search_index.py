"""What search sees: snapshots of users that become visible only after the indexing delay.

Zendesk says new or updated records take "up to a few minutes" to be indexed (§1.4). Each
create or update schedules a snapshot; until it is due, search keeps returning the previous
snapshot (or nothing for a new user).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from tests.fakes.zendesk.records import User


@dataclass(frozen=True)
class _Pending:
    due_at: float
    snapshot: User


class SearchIndex:
    def __init__(self) -> None:
        self._indexed: dict[int, User] = {}
        self._pending: list[_Pending] = []

    def schedule(self, user: User, due_at: float) -> None:
        self._pending.append(_Pending(due_at, copy.deepcopy(user)))

    def users(self, now: float) -> list[User]:
        """The indexed snapshots at ``now``, in id order."""
        still_pending: list[_Pending] = []
        for item in self._pending:
            if item.due_at <= now:
                self._indexed[item.snapshot.id] = item.snapshot
            else:
                still_pending.append(item)
        self._pending = still_pending
        return [self._indexed[user_id] for user_id in sorted(self._indexed)]

    def pending_count(self) -> int:
        return len(self._pending)
