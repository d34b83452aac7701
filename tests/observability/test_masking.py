"""Secrets never survive into a log line."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deskline.observability import masking
from deskline.observability.masking import mask_secrets, register_secret

TOKEN = "zdtok_9f8e7d6c5b4a39281706"


@pytest.mark.parametrize(
    "line",
    [
        f"GET /api/v2/users Authorization: Bearer {TOKEN}",
        f"headers={{'Authorization': 'Bearer {TOKEN}'}}",
        f'{{"authorization": "Basic {TOKEN}"}}',
        f"calling https://acme.example/api?query=1&access_token={TOKEN}&page=2",
        f"refresh_token={TOKEN}",
        f'{{"client_secret": "{TOKEN}", "grant_type": "refresh_token"}}',
        f"{{'password': '{TOKEN}'}}",
        f"password={TOKEN} user=kristin",
        f"api_key: {TOKEN}",
        f"X-Api-Key={TOKEN}",
        f"redis://deskline:{TOKEN}@redis.internal:6379/0",
        f"token {TOKEN} was refused, Bearer {TOKEN}",
    ],
)
def test_credentials_are_masked(line: str) -> None:
    masked = mask_secrets(line)
    assert TOKEN not in masked
    assert "****" in masked


def test_quoted_values_with_spaces_are_masked_whole() -> None:
    masked = mask_secrets('{"password": "correct horse battery staple"}')
    assert "horse" not in masked and "battery" not in masked


def test_registered_secrets_are_masked_anywhere() -> None:
    register_secret("s3cr3t-signing-key-material")
    masked = mask_secrets("key is s3cr3t-signing-key-material, really")
    assert "s3cr3t-signing-key-material" not in masked


def test_short_and_boolean_field_values_do_not_garble_the_line() -> None:
    masked = mask_secrets('{"token_count": 5, "token_expired": true, "calls": 5}')
    assert '"calls": 5' in masked and '"token_expired": true' in masked
    assert mask_secrets("pin=1234 room 1234") == "pin=1234 room 1234"
    assert mask_secrets("password=1234 room 1234") == "password=**** room 1234"


def test_ordinary_text_is_left_alone() -> None:
    line = "job 42 (helpdesk.ticket.create) attempt 1: succeeded in 35 ms; tokens refreshed"
    assert mask_secrets(line) == line
    assert mask_secrets("") == ""


def test_a_long_line_is_masked_quickly_enough_to_log() -> None:
    blob = "a" * 200_000 + f" token={TOKEN}"
    assert TOKEN not in mask_secrets(blob)


_SECRETISH = st.sampled_from(
    [
        "token",
        "Access_Token",
        "client-secret",
        "PASSWORD",
        "passwd",
        "api-key",
        "apikey",
        "X-Signature",
        "Authorization",
        "bearer",
        "https://u:",
        "@h",
        "=",
        ": ",
        '"',
        "'",
        " ",
        "&",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_SECRETISH, st.text(max_size=12)), max_size=12))
@example(["https://u:", "pw", "@h"])
@example(["Authorization", ": ", "Basic abcdef"])
@example(['"', "client-secret", '"', ": ", '"', "abc", '"'])
def test_lines_the_patterns_skip_are_masked_as_the_patterns_would(parts: list[str]) -> None:
    """The quick check that lets most lines skip the patterns never skips a line one of them
    would change."""
    line = "".join(parts)
    if masking._MAY_MATCH.search(line) is None:
        assert all(pattern.search(line) is None for pattern in masking._PATTERNS)
