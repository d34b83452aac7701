"""One request to the P-Series Open API, and what its answer says.

Every answer is a JSON object with ``errcode`` (0 means success) and ``errmsg``. This module
turns transport failures and non-JSON answers into deskline errors; what a non-zero
``errcode`` means is left to the caller (token manager, API client).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from deskline.errors import PbxConnectionError, PbxProtocolError

USER_AGENT = "OpenAPI"
"""The PBX refuses requests without a User-Agent header."""

_TOKEN_ERRCODES = frozenset({10004, 10005, 10006})
"""Codes the PBX is believed to use for a bad or expired token (unverified); see is_token_error."""


_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s\"']+")


def redact(text: str) -> str:
    """``text`` with any ``access_token=…`` value hidden (URLs end up in logs and errors)."""
    return _TOKEN_IN_URL.sub(r"\1****", text)


class _RedactAccessTokens(logging.Filter):
    """httpx logs each request URL at INFO; the access token travels in the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(str(arg)) if "access_token=" in str(arg) else arg for arg in record.args
            )
        return True


_FILTER = _RedactAccessTokens()


def hide_tokens_in_http_logs() -> None:
    """Install the redaction on httpx's logger (idempotent)."""
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


async def call_openapi(
    http: httpx.AsyncClient,
    method: str,
    endpoint: str,
    *,
    params: dict[str, str] | None = None,
    json: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The decoded answer of one Open API call; raises on transport or protocol failure."""
    try:
        response = await http.request(method, endpoint, params=params, json=json)
    except httpx.HTTPError as exc:
        raise PbxConnectionError(f"P-Series {endpoint}: {type(exc).__name__}: {exc}") from exc
    if response.status_code == 401:
        return {"errcode": 401, "errmsg": "HTTP 401 (token rejected)"}
    if response.status_code >= 400:
        raise PbxConnectionError(f"P-Series {endpoint}: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise PbxProtocolError(f"P-Series {endpoint}: the answer is not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("errcode"), int):
        raise PbxProtocolError(f"P-Series {endpoint}: the answer has no integer errcode")
    return body


def errcode_of(body: dict[str, Any]) -> int:
    code = body.get("errcode")
    return code if isinstance(code, int) else -1


def describe(body: dict[str, Any]) -> str:
    return f"errcode {errcode_of(body)} ({str(body.get('errmsg', ''))[:200]})"


def is_token_error(body: dict[str, Any]) -> bool:
    """True when the PBX says the access token is invalid or expired (best effort)."""
    code = errcode_of(body)
    if code == 0:
        return False
    return code in _TOKEN_ERRCODES or code == 401 or "TOKEN" in str(body.get("errmsg", "")).upper()
