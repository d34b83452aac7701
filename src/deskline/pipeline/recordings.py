"""Call recordings served by deskline (F13, F30): signed links, fetched from the PBX on demand.

A helpdesk stores the link it is given and plays it much later, so the link is deskline's own
— ``{public_url}/recordings/{token}?exp=<unix>&sig=<hmac>`` — valid for a long, configurable
time (:attr:`RecordingOptions.link_ttl_seconds`), and the file behind it is fetched from the PBX
the first time it is needed (``PbxAdapter.fetch_recording``) and cached under the data
directory. ``token`` is random and unguessable; ``sig`` an HMAC-SHA256 of token and expiry with
a key derived from deskline's secret key, so links cannot be forged or extended.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from sqlalchemy import String, Table, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.crypto import derive_key
from deskline.outbox.handlers import DeferredWrite, DirectWrite
from deskline.pbx.recordings import (
    FetchedRecording,
    RecordingNotReadyError,
    RecordingUnavailableError,
)
from deskline.store.db import Database
from deskline.store.direct import DirectStatement, bound
from deskline.store.direct_transaction import Statements
from deskline.store.models import Recording
from deskline.store.repositories._dialect import insert_of
from deskline.store.types import utcnow

RecordingFetcher = Callable[[str, str, Path], Awaitable[FetchedRecording]]
"""``await fetch(source, ref, destination)``: the PBX connection ``source`` writes ``ref``."""


class RecordingState:
    PENDING = "pending"
    READY = "ready"
    MISSING = "missing"


@dataclass(frozen=True)
class RecordingOptions:
    link_ttl_seconds: int = 365 * 24 * 3600
    """How long a recording link given to the helpdesk stays valid."""
    not_ready_window_seconds: float = 120.0
    """How long after the call a recording that is not ready yet is asked for again."""
    not_ready_retry_seconds: float = 10.0


class RecordingLinks:
    """Makes and checks the signed links of recordings."""

    def __init__(self, secret_key: bytes, public_url: str, ttl_seconds: int) -> None:
        self._key = derive_key(secret_key, "deskline-recording-links")
        self.public_url = public_url.rstrip("/")
        self.ttl_seconds = ttl_seconds

    def __repr__(self) -> str:
        return f"RecordingLinks({self.public_url!r}, ttl={self.ttl_seconds})"

    def signature(self, token: str, expires: int) -> str:
        digest = hmac.new(self._key, f"{token}:{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def url(self, token: str, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        query = urlencode({"exp": expires, "sig": self.signature(token, expires)})
        return f"{self.public_url}/recordings/{token}?{query}"

    def verify(
        self, token: str, expires: str | None, sig: str | None, now: float | None = None
    ) -> bool:
        """True for an untampered link that has not expired."""
        if not expires or not sig or not expires.isdigit() or len(expires) > 12:
            return False
        if int(expires) < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(self.signature(token, int(expires)), sig)


_OF_CALL = select(Recording).where(
    Recording.source == bindparam("source"), Recording.pbx_call_id == bindparam("call_id")
)
"""Built once: every call's ingest and jobs read it."""


async def ensure_recording(session: AsyncSession, source: str, call_id: str, ref: str) -> Recording:
    """The call's recording row (created with a fresh token the first time)."""
    row = await recording_of_call(session, source, call_id)
    if row is None:
        row = Recording(
            token=secrets.token_urlsafe(24), source=source, pbx_call_id=call_id, ref=ref
        )
        session.add(row)
        await session.flush()
    return row


_RECORDINGS = cast(Table, Recording.__table__)
_ADD = DirectStatement(
    lambda dialect: (
        insert_of(dialect, _RECORDINGS)
        .values(
            bound("token", "source", "pbx_call_id", "ref", "state", "attempts", "created_at")
            | {"updated_at": bindparam("created_at")}
        )
        .on_conflict_do_nothing(index_elements=["source", "pbx_call_id"])
    )
)
_FETCHED = DirectStatement(
    update(_RECORDINGS)
    .where(_RECORDINGS.c.token == bindparam("of_token"))
    .values(
        bound("content_type", "size", "cache_path")
        | {
            "state": RecordingState.READY,
            "attempts": _RECORDINGS.c.attempts + 1,
            "updated_at": bindparam("now"),
        }
    )
)
_NOT_FETCHED = DirectStatement(
    update(_RECORDINGS)
    .where(_RECORDINGS.c.token == bindparam("of_token"))
    .values(
        state=case(
            (_RECORDINGS.c.state == RecordingState.READY, _RECORDINGS.c.state),
            else_=bindparam("state", type_=String),
        ),
        attempts=_RECORDINGS.c.attempts + 1,
        updated_at=bindparam("now"),
    )
)
"""Built once, run on the driver (:mod:`deskline.store.direct`): every call's ingest adds
its recording, its ticket job fetches it."""


async def add_recording(session: AsyncSession, source: str, call_id: str, ref: str) -> None:
    """:func:`ensure_recording` in one statement, for a writer that needs no row back (the
    ingest): the row is inserted unless the call has one (which keeps its token)."""
    await _ADD.execute(
        session,
        {
            "token": secrets.token_urlsafe(24),
            "source": source,
            "pbx_call_id": call_id,
            "ref": ref,
            "state": RecordingState.PENDING,
            "attempts": 0,
            "created_at": utcnow(),
        },
    )


async def recording_of_call(session: AsyncSession, source: str, call_id: str) -> Recording | None:
    result = await session.execute(_OF_CALL, {"source": source, "call_id": call_id})
    return result.scalar_one_or_none()


_VIEW_OF_CALL = DirectStatement(
    select(*_RECORDINGS.c).where(
        _RECORDINGS.c.source == bindparam("source"),
        _RECORDINGS.c.pbx_call_id == bindparam("call_id"),
    )
)


async def recording_view_of_call(
    session: Statements, source: str, call_id: str
) -> Recording | None:
    """:func:`recording_of_call` as a copy, not the session's object (a job reads it; run on
    the driver, :mod:`deskline.store.direct`)."""
    row = (await _VIEW_OF_CALL.execute(session, {"source": source, "call_id": call_id})).first()
    return None if row is None else Recording(**row._asdict())


async def recording_by_token(session: AsyncSession, token: str) -> Recording | None:
    if not token or len(token) > 64:
        return None
    return (
        await session.execute(select(Recording).where(Recording.token == token))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class CachedRecording:
    path: Path
    content_type: str
    size: int


class RecordingCache:
    """Fetches recordings from their PBX into ``directory`` (once; concurrent asks share it)."""

    def __init__(self, db: Database, directory: Path, fetcher: RecordingFetcher) -> None:
        self.db = db
        self.directory = directory
        self.fetcher = fetcher
        self._locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"RecordingCache({str(self.directory)!r})"

    def path_for(self, token: str) -> Path:
        return self.directory / f"{token}.rec"

    async def get(
        self,
        token: str,
        *,
        known: Recording | None = None,
        save_with: Callable[[DeferredWrite], None] | None = None,
    ) -> CachedRecording:
        """The cached file of a recording, fetched from the PBX first if needed.

        ``known``: the recording's row as the caller has just read it (a job of its call),
        so that it is not read again. ``save_with``: how the caller saves the fetch's outcome
        (state, attempts) in a transaction it commits anyway (a job: with its attempt);
        without it, the outcome is saved in a transaction of its own. Raises
        :class:`RecordingNotReadyError` / :class:`RecordingUnavailableError`, and
        :class:`LookupError` for an unknown token."""
        if len(self._locks) > 1000:
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        async with self._locks.setdefault(token, asyncio.Lock()):
            row = known if known and known.token == token else None
            return await self._get(token, row, save_with)

    async def _get(
        self, token: str, row: Recording | None, save_with: Callable[[DeferredWrite], None] | None
    ) -> CachedRecording:
        if row is None:
            async with self.db.read() as session:
                row = await recording_by_token(session, token)
        if row is None:
            raise LookupError("no such recording")
        source, ref, state = row.source, row.ref, row.state
        content_type, cached = row.content_type, row.cache_path
        path = self.path_for(token)
        if state == RecordingState.READY and cached and path.is_file():
            return CachedRecording(
                path, content_type or "application/octet-stream", path.stat().st_size
            )
        try:
            fetched = await self.fetcher(source, ref, path)
        except RecordingNotReadyError:
            await self._save(self._note(token, RecordingState.PENDING, None), save_with)
            raise
        except RecordingUnavailableError:
            await self._save(self._note(token, RecordingState.MISSING, None), save_with)
            raise
        await self._save(self._note(token, RecordingState.READY, fetched), save_with)
        return CachedRecording(path, fetched.content_type, fetched.size)

    async def _save(
        self, write: DirectWrite, save_with: Callable[[DeferredWrite], None] | None
    ) -> None:
        """Hand ``write`` to the caller's transaction, or run it in one of its own."""
        if save_with is not None:
            save_with(write)
            return
        async with self.db.direct_transaction() as on:
            await write(on)

    def _note(self, token: str, state: str, fetched: FetchedRecording | None) -> DirectWrite:
        """Count the attempt and set the state, in one statement; a recording once ready
        stays ready (a later failed fetch of the same file only counts)."""
        parameters: dict[str, Any] = {"of_token": token, "now": utcnow()}
        if fetched is not None:
            statement = _FETCHED
            parameters |= {
                "content_type": fetched.content_type,
                "size": fetched.size,
                "cache_path": str(self.path_for(token)),
            }
        else:
            statement = _NOT_FETCHED
            parameters["state"] = state

        async def write(on: Statements) -> None:
            await statement.execute(on, parameters)

        return DirectWrite(write)
