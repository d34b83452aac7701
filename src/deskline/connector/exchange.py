"""Send one rendered request, classify its answer into an Outcome, and log it (masked).

Anything but success raises: :class:`HelpdeskAuthError` for ``reauthenticate`` (the auth flow
already refreshed once), :class:`HelpdeskError` with ``outcome`` and ``retry_after`` otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from deskline.connector.client import HelpdeskClient, RawResponse
from deskline.connector.masking import Masker
from deskline.connector.outcome import Decision, Outcome, OutcomeTable
from deskline.connector.requests import PreparedRequest
from deskline.connector.results import DRY_RUN, SKIPPED, RequestLogEntry
from deskline.errors import HelpdeskAuthError, HelpdeskError

_EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Reply:
    """A successful answer: its status and parsed JSON document (``None``: empty or not JSON,
    or a lookup's 404)."""

    status: int | None
    document: object


LogSink = Callable[[RequestLogEntry], None]


class Exchange:
    """Sends requests for one connector; every request lands in the log it is given."""

    def __init__(
        self,
        client: HelpdeskClient,
        table: OutcomeTable,
        masker: Masker,
        clock: Callable[[], float],
        on_request: LogSink | None = None,
        dry_run: bool = False,
        details: bool = True,
    ) -> None:
        self.client = client
        self.table = table
        self.masker = masker
        self.clock = clock
        self.on_request = on_request
        self.dry_run = dry_run
        self.details = details or dry_run
        """Whether the log's entries carry the request's headers and body (masked)."""

    def log_skipped(self, log: list[RequestLogEntry], scenario_id: str, name: str) -> None:
        self._record(
            log,
            RequestLogEntry(scenario_id, name, "-", "", None, 0.0, SKIPPED, note="empty URL"),
        )

    async def send(
        self,
        prepared: PreparedRequest,
        log: list[RequestLogEntry],
        *,
        scenario_id: str,
        auth: httpx.Auth | None,
        lookup: bool = False,
    ) -> Reply:
        entry = RequestLogEntry(
            scenario_id,
            prepared.name,
            prepared.method,
            self.masker.url(prepared.url),
            None,
            0.0,
            DRY_RUN,
            self._headers(prepared, auth),
            self.masker.body(prepared.body) if self.details else None,
        )
        if self.dry_run:
            self._record(log, entry)
            return Reply(None, None)
        started = time.monotonic()
        try:
            raw = await self.client.send(prepared.to_httpx(), auth=auth)
        except HelpdeskError as exc:
            self._record(log, _finished(entry, None, started, exc.outcome, str(exc)))
            raise
        decision = self.table.classify(
            raw.status,
            raw.body,
            raw.headers.get("retry-after"),
            scenario_id=scenario_id,
            lookup=lookup,
            now=self.clock(),
        )
        self._record(log, _finished(entry, raw.status, started, decision.outcome, decision.reason))
        if decision.outcome is Outcome.SUCCESS:
            return Reply(raw.status, None if decision.empty else _json(raw.body))
        raise self._error(prepared, raw, decision)

    def _headers(
        self, prepared: PreparedRequest, auth: httpx.Auth | None
    ) -> tuple[tuple[str, str], ...]:
        if not self.details:
            return ()
        masked = tuple((k, self.masker.header(k, v)) for k, v in prepared.headers)
        return masked + _auth_preview(auth)

    def _error(
        self, prepared: PreparedRequest, raw: RawResponse, decision: Decision
    ) -> HelpdeskError:
        excerpt = self.masker.text(raw.body[:_EXCERPT_CHARS].decode("utf-8", "replace")).strip()
        message = (
            f"{prepared.method} {self.masker.url(prepared.url)} ({prepared.name}): "
            f"{decision.reason}" + (f": {excerpt}" if excerpt else "")
        )
        if decision.outcome is Outcome.REAUTHENTICATE:
            return HelpdeskAuthError(message, status_code=raw.status)
        return HelpdeskError(
            message,
            outcome=decision.outcome.value,
            retry_after=decision.retry_after,
            status_code=raw.status,
        )

    def _record(self, log: list[RequestLogEntry], entry: RequestLogEntry) -> None:
        log.append(entry)
        if self.on_request is not None:
            self.on_request(entry)


def _finished(
    entry: RequestLogEntry, status: int | None, started: float, outcome: str, note: str
) -> RequestLogEntry:
    return RequestLogEntry(
        entry.scenario_id,
        entry.request_name,
        entry.method,
        entry.url,
        status,
        round((time.monotonic() - started) * 1000, 1),
        outcome,
        entry.headers,
        entry.body,
        note,
    )


def _auth_preview(auth: httpx.Auth | None) -> tuple[tuple[str, str], ...]:
    preview = getattr(auth, "preview", None)
    return (("Authorization", str(preview())),) if callable(preview) else ()


def _json(body: bytes) -> object:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
