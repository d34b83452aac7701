"""Authenticating webhook requests: a bearer token, or an HMAC-SHA256 body signature.

HMAC: the sender puts the Unix time in ``X-Deskline-Timestamp`` and
``sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>`` in ``X-Deskline-Signature``.
The timestamp is signed too, and a request older (or newer) than the tolerance is refused, so
a captured request cannot be replayed later. All comparisons take constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from pydantic import SecretStr

from deskline.errors import DesklineError

TIMESTAMP_HEADER = "x-deskline-timestamp"
SIGNATURE_HEADER = "x-deskline-signature"


class WebhookAuthError(DesklineError):
    """The request is not authenticated (HTTP 401)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Deskline-Signature`` value for a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_matches(expected: SecretStr, given: str | None) -> bool:
    if given is None:
        return False
    return hmac.compare_digest(expected.get_secret_value().encode(), given.encode())


def verify_signature(
    secret: SecretStr,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: float,
    now: float | None = None,
) -> None:
    """Raise WebhookAuthError unless the body carries a fresh, valid signature."""
    timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise WebhookAuthError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        sent = float(timestamp)
    except ValueError:
        raise WebhookAuthError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        raise WebhookAuthError(f"{TIMESTAMP_HEADER} is outside the {tolerance:.0f} s tolerance")
    expected = sign(secret.get_secret_value(), timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookAuthError("signature does not match the body")


def authenticate(
    headers: Mapping[str, str],
    body: bytes,
    *,
    token: SecretStr | None,
    hmac_secret: SecretStr | None,
    tolerance: float,
    query_token: str | None = None,
    now: float | None = None,
) -> None:
    """Accept the request if it passes any configured method; else WebhookAuthError."""
    given = bearer_token(headers) or query_token
    if token is not None and token_matches(token, given):
        return
    if hmac_secret is not None and SIGNATURE_HEADER in headers:
        verify_signature(hmac_secret, headers, body, tolerance=tolerance, now=now)
        return
    if given is not None:
        raise WebhookAuthError("invalid token")
    raise WebhookAuthError("authentication required (Bearer token or HMAC signature)")
