"""``GET /recordings/{token}``: signed links, Range requests, fetched from the PBX and cached."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from deskline.pbx.recordings import FetchedRecording, RecordingNotReadyError, write_file
from deskline.pipeline.recordings import ensure_recording
from deskline.store.db import Database
from tests.pipeline.live_app import LiveApp, live_app

AUDIO = b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 40


class FakePbx:
    def __init__(self) -> None:
        self.fetches = 0
        self.ready = True

    async def __call__(self, source: str, ref: str, destination: Path) -> FetchedRecording:
        self.fetches += 1
        if not self.ready:
            raise RecordingNotReadyError("still recording")
        write_file(destination, AUDIO)
        return FetchedRecording("audio/wav", len(AUDIO))


@pytest.fixture
async def app(sqlite_db: Database, tmp_path: Path) -> AsyncIterator[LiveApp]:
    async with live_app(sqlite_db, tmp_path) as running:
        yield running


@pytest.fixture
async def pbx(app: LiveApp) -> FakePbx:
    fake = FakePbx()
    app.runtime.pipeline.recordings.fetcher = fake
    return fake


async def link(app: LiveApp) -> str:
    async with app.runtime.db.transaction() as session:
        row = await ensure_recording(session, "pbx", "c1", "/var/spool/asterisk/monitor/c1.wav")
    url = app.runtime.pipeline.links.url(row.token)
    assert url.startswith("http://127.0.0.1/recordings/")
    return url.replace("http://127.0.0.1", app.base_url)


async def test_a_signed_link_plays_and_the_file_is_fetched_once(app: LiveApp, pbx: FakePbx) -> None:
    url = await link(app)
    async with httpx.AsyncClient() as client:
        first = await client.get(url)
        second = await client.get(url)
    assert first.status_code == 200
    assert first.content == AUDIO
    assert first.headers["content-type"] == "audio/wav"
    assert first.headers["accept-ranges"] == "bytes"
    assert second.content == AUDIO
    assert pbx.fetches == 1  # cached after the first play


async def test_range_requests(app: LiveApp, pbx: FakePbx) -> None:
    url = await link(app)
    async with httpx.AsyncClient() as client:
        part = await client.get(url, headers={"Range": "bytes=10-19"})
        tail = await client.get(url, headers={"Range": "bytes=-5"})
        beyond = await client.get(url, headers={"Range": f"bytes={len(AUDIO) + 10}-"})
    assert part.status_code == 206
    assert part.content == AUDIO[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(AUDIO)}"
    assert tail.status_code == 206 and tail.content == AUDIO[-5:]
    assert beyond.status_code == 416


async def test_tampered_or_expired_links_are_refused(app: LiveApp, pbx: FakePbx) -> None:
    url = await link(app)
    links = app.runtime.pipeline.links
    token = url.split("/recordings/")[1].split("?")[0]
    expired_at = int(time.time()) - 10
    expired = f"{app.base_url}/recordings/{token}?exp={expired_at}&sig=" + links.signature(
        token, expired_at
    )
    later = int(time.time()) + 10**8
    extended = url.split("?")[0] + f"?exp={later}&sig=" + url.split("sig=")[1]
    async with httpx.AsyncClient() as client:
        for bad in (expired, extended, url[:-2] + "xx", url.split("?")[0]):
            answer = await client.get(bad)
            assert answer.status_code == 403, bad
    assert pbx.fetches == 0


async def test_a_recording_not_ready_yet_answers_503(app: LiveApp, pbx: FakePbx) -> None:
    pbx.ready = False
    url = await link(app)
    async with httpx.AsyncClient() as client:
        answer = await client.get(url)
        assert answer.status_code == 503
        assert answer.headers["retry-after"]
        pbx.ready = True
        assert (await client.get(url)).content == AUDIO
