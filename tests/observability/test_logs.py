"""configure_logging: one JSON (or key=value) line per record, the call id, secrets masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskline.observability import SecretMaskingFilter, bind_call_id, configure_logging
from deskline.settings import Settings, load_settings

TOKEN = "ya29.a0AfH6SMBx-oauth-access-token-value"
SECRET_KEY = "deskline-secret-key-0123456789abcdef"


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield
    for name, quiet_level in quiet.items():  # configure_logging quiets these: undo it
        logging.getLogger(name).setLevel(quiet_level)
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(data_dir=tmp_path, secret_key=SECRET_KEY, **overrides)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_a_record_is_one_json_line_with_the_call_id(tmp_path: Path, restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging(settings(tmp_path), stream)
    log = logging.getLogger("deskline.pipeline.test")
    log.info("no call yet")
    with bind_call_id("1706-42"):
        log.warning("ticket %s created", 7, extra={"job_id": 3})
    first, second = lines(stream)
    assert first["message"] == "no call yet" and "call_id" not in first
    assert second["message"] == "ticket 7 created"
    assert (second["level"], second["logger"]) == ("WARNING", "deskline.pipeline.test")
    assert (second["call_id"], second["job_id"]) == ("1706-42", 3)
    assert str(second["ts"]).endswith("Z")


def test_a_token_never_reaches_the_log_output(tmp_path: Path, restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging(settings(tmp_path), stream)
    log = logging.getLogger("deskline.connector.test")
    log.info("GET https://acme.zendesk.com/api/v2/users?access_token=%s", TOKEN)
    log.info("sending headers %s", {"Authorization": f"Bearer {TOKEN}"})
    log.info("token response", extra={"access_token": TOKEN, "body": f'{{"token": "{TOKEN}"}}'})
    log.info("the secret key is %s", SECRET_KEY)
    try:
        raise RuntimeError(f"refresh failed for password={TOKEN}")
    except RuntimeError:
        log.exception("oauth refresh")
    logging.getLogger("httpx").warning("HTTP Request: POST /oauth/tokens Bearer %s", TOKEN)
    output = stream.getvalue()
    assert len(lines(stream)) == 6
    assert TOKEN not in output
    assert SECRET_KEY not in output
    assert "RuntimeError" in output  # the exception itself is still there


def test_key_value_lines(tmp_path: Path, restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging(settings(tmp_path, log_format="text"), stream)
    with bind_call_id("c-9"):
        logging.getLogger("deskline.outbox").info("job done, client_secret=%s", TOKEN)
    line = stream.getvalue().strip()
    assert " INFO deskline.outbox call_id=c-9 message=" in line
    assert TOKEN not in line


def test_configuring_twice_keeps_one_handler(tmp_path: Path, restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging(settings(tmp_path), io.StringIO())
    configure_logging(settings(tmp_path), stream)
    logging.getLogger("deskline").warning("once")
    assert [line["message"] for line in lines(stream)] == ["once"]


def test_a_bad_format_call_is_logged_as_it_is() -> None:
    record = logging.LogRecord(
        "deskline", logging.WARNING, __file__, 1, "%d calls", ("many",), None
    )
    assert SecretMaskingFilter().filter(record)
    assert record.getMessage() == "%d calls (unformattable arguments)"
