"""The recording cache: fetched from the PBX once, every attempt counted, ready stays ready."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from deskline.pbx.recordings import (
    FetchedRecording,
    RecordingNotReadyError,
    RecordingUnavailableError,
    write_file,
)
from deskline.pipeline.recordings import (
    RecordingCache,
    RecordingState,
    add_recording,
    ensure_recording,
    recording_by_token,
    recording_of_call,
)
from deskline.store.db import Database


class Pbx:
    def __init__(self) -> None:
        self.answers: list[bytes | Exception] = []
        self.fetched: list[str] = []

    async def __call__(self, source: str, ref: str, destination: Path) -> FetchedRecording:
        self.fetched.append(ref)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        write_file(destination, answer)
        return FetchedRecording("audio/wav", len(answer))


async def _state(db: Database, token: str) -> tuple[str, int, int | None]:
    async with db.read() as session:
        row = await recording_by_token(session, token)
        assert row is not None
        return row.state, row.attempts, row.size


async def test_fetched_once_with_each_attempt_counted(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as session:
        token = (await ensure_recording(session, "pbx", "c1", "rec-1.wav")).token
        assert (await ensure_recording(session, "pbx", "c1", "rec-1.wav")).token == token
    pbx = Pbx()
    cache = RecordingCache(db, tmp_path, pbx)

    pbx.answers = [RecordingNotReadyError("still writing"), b"RIFF-1234"]
    with pytest.raises(RecordingNotReadyError):
        await cache.get(token)
    assert await _state(db, token) == (RecordingState.PENDING, 1, None)
    first = await cache.get(token)
    again = await cache.get(token)
    assert first == again and first.size == 9 and first.path.read_bytes() == b"RIFF-1234"
    assert pbx.fetched == ["rec-1.wav", "rec-1.wav"]  # not a third time
    assert await _state(db, token) == (RecordingState.READY, 2, 9)

    with pytest.raises(LookupError):
        await cache.get("no-such-token")


async def test_the_ingest_adds_a_calls_recording_once_and_keeps_its_token(
    db: Database,
) -> None:
    async with db.transaction() as session:
        await add_recording(session, "pbx", "c1", "rec-1.wav")
        await add_recording(session, "pbx", "c2", "rec-2.wav")
    async with db.read() as session:
        first = await recording_of_call(session, "pbx", "c1")
    assert first is not None and first.ref == "rec-1.wav" and len(first.token) >= 32
    assert (first.state, first.attempts) == (RecordingState.PENDING, 0)
    async with db.transaction() as session:  # the call's end delivered again
        await add_recording(session, "pbx", "c1", "rec-1.wav")
        assert (await ensure_recording(session, "pbx", "c1", "other.wav")).token == first.token
    async with db.read() as session:
        again = await recording_of_call(session, "pbx", "c1")
        other = await recording_of_call(session, "pbx", "c2")
    assert again is not None and (again.token, again.ref) == (first.token, "rec-1.wav")
    assert other is not None and other.token != first.token


async def test_a_job_saves_the_fetch_with_its_own_transaction(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as session:
        token = (await ensure_recording(session, "pbx", "c1", "rec-1.wav")).token
    pbx = Pbx()
    cache = RecordingCache(db, tmp_path, pbx)
    handed: list[Callable[[AsyncSession], Awaitable[None]]] = []

    pbx.answers = [b"RIFF-12"]
    fetched = await cache.get(token, save_with=handed.append)

    assert fetched.size == 7 and len(handed) == 1
    assert await _state(db, token) == (RecordingState.PENDING, 0, None)  # not saved yet
    async with db.transaction() as session:  # the job's attempt commits it
        await handed[0](session)
    assert await _state(db, token) == (RecordingState.READY, 1, 7)


async def test_a_ready_recording_stays_ready_when_a_later_fetch_fails(
    db: Database, tmp_path: Path
) -> None:
    async with db.transaction() as session:
        row = await ensure_recording(session, "pbx", "c2", "rec-2.wav")
    pbx = Pbx()
    pbx.answers = [b"RIFF", RecordingUnavailableError("deleted on the PBX")]
    cache = RecordingCache(db, tmp_path, pbx)
    await cache.get(row.token, known=row)  # the caller's row: not read again
    cache.path_for(row.token).unlink()  # the cached file went away
    with pytest.raises(RecordingUnavailableError):
        await cache.get(row.token)
    assert await _state(db, row.token) == (RecordingState.READY, 2, 4)
