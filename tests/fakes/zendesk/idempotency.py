"""``Idempotency-Key`` on ticket creation (§1.7): the first answer is kept for the key's
lifetime (2 h) and replayed with ``x-idempotency-lookup: hit``; the same key with different
parameters is a 400 ``IdempotentRequestError``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tests.fakes.zendesk.errors import ZendeskError


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    expires_at: float


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyCache:
    def __init__(self) -> None:
        self._answers: dict[str, StoredAnswer] = {}

    def lookup(self, key: str, request_fingerprint: str, now: float) -> StoredAnswer | None:
        """The stored answer to replay, ``None`` on a miss; raises on a parameter mismatch."""
        answer = self._answers.get(key)
        if answer is None or answer.expires_at <= now:
            self._answers.pop(key, None)
            return None
        if answer.fingerprint != request_fingerprint:
            raise ZendeskError(
                400,
                {
                    "error": "IdempotentRequestError",
                    "description": "Request parameters don't match the given idempotency key",
                },
            )
        return answer

    def store(self, key: str, answer: StoredAnswer) -> None:
        self._answers[key] = answer

    def __len__(self) -> int:
        return len(self._answers)
