"""uvicorn's access log under deskline's logging: PBX event posts answered 2xx are left out
unless asked for; failed posts and every other request are logged. Real HTTP to a uvicorn
server configured as ``deskline serve`` configures it (``log_config=None``)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deskline.observability import configure_logging
from deskline.observability.logs import ACCESS_LOGGER, PbxEventPostsFilter
from deskline.settings import load_settings
from tests.fakes.pseries_server import serve_app
from tests.observability.test_logs import SECRET_KEY
from tests.pbx.webhook.conftest import MemorySink, build_app
from tests.pbx.webhook.test_router import AUTH, RING


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """uvicorn's loggers as ``deskline serve`` has them (``log_config=None``: untouched,
    propagating to the root), whatever a server run earlier in this process made of them (its
    default config gives them their own handlers and stops propagation); all restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    uvicorn_loggers = [logging.getLogger(name) for name in ("uvicorn", ACCESS_LOGGER)]
    saved = [
        (list(lg.handlers), list(lg.filters), lg.level, lg.propagate, lg.disabled)
        for lg in uvicorn_loggers
    ]
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    for logger in uvicorn_loggers:
        logger.handlers[:], logger.filters[:] = [], []
        logger.setLevel(logging.NOTSET)
        logger.propagate, logger.disabled = True, False
    yield
    for name, quiet_level in quiet.items():
        logging.getLogger(name).setLevel(quiet_level)
    root.handlers[:] = handlers
    root.setLevel(level)
    for logger, (kept_handlers, filters, kept_level, propagate, disabled) in zip(
        uvicorn_loggers, saved, strict=True
    ):
        logger.handlers[:], logger.filters[:] = kept_handlers, filters
        logger.setLevel(kept_level)
        logger.propagate, logger.disabled = propagate, disabled


async def access_lines(tmp_path: Path, **settings: object) -> list[str]:
    stream = io.StringIO()
    configure_logging(load_settings(data_dir=tmp_path, secret_key=SECRET_KEY, **settings), stream)
    app = build_app(MemorySink())

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # as serve runs it: uvicorn leaves the logging to deskline
    running = serve_app(app, log_config=None, log_level=None, http="httptools")
    async with running as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.post("/webhooks/pbx/office", json=RING, headers=AUTH)).is_success
        bad = await client.post("/webhooks/pbx/office", json=RING, headers={})
        assert bad.status_code == 401
        assert (await client.post("/webhooks/pbx/nowhere", json=RING)).status_code == 404
        assert (await client.get("/api/health")).status_code == 200
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [str(r["message"]) for r in records if r["logger"] == ACCESS_LOGGER]


async def test_successful_event_posts_are_left_out(tmp_path: Path, restore_logging: None) -> None:
    lines = await access_lines(tmp_path)
    assert len(lines) == 3, lines
    assert '"POST /webhooks/pbx/office HTTP/1.1" 401' in lines[0]
    assert '"POST /webhooks/pbx/nowhere HTTP/1.1" 404' in lines[1]
    assert '"GET /api/health HTTP/1.1" 200' in lines[2]


async def test_every_post_is_logged_when_asked(tmp_path: Path, restore_logging: None) -> None:
    lines = await access_lines(tmp_path, access_log_pbx_events=True)
    assert len(lines) == 4, lines
    assert '"POST /webhooks/pbx/office HTTP/1.1" 200' in lines[0]


def test_configuring_twice_keeps_one_filter(tmp_path: Path, restore_logging: None) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key=SECRET_KEY)
    configure_logging(settings, io.StringIO())
    configure_logging(settings, io.StringIO())
    access = logging.getLogger(ACCESS_LOGGER)
    assert sum(isinstance(f, PbxEventPostsFilter) for f in access.filters) == 1
    configure_logging(
        load_settings(data_dir=tmp_path, secret_key=SECRET_KEY, access_log_pbx_events=True),
        io.StringIO(),
    )
    assert not any(isinstance(f, PbxEventPostsFilter) for f in access.filters)
