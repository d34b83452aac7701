"""Secrets out of log lines: credentials in headers, URLs and key/value or JSON fields.

:func:`mask_secrets` hides

- the credentials of ``Authorization:``/``Proxy-Authorization:`` headers and of ``Bearer …``;
- the password of a URL (``https://user:****@host``);
- the value of any field whose name looks secret (``password``, ``secret``, ``token``,
  ``access_token``, ``api_key``, ``client_secret``, ``signature``…) written as ``name=value``,
  ``name: value``, ``"name": "value"`` or ``'name': 'value'`` (query strings, JSON, reprs);
- every value registered with :func:`register_secret` (the secret key, the admin password),
  wherever it appears.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from deskline.crypto import mask

_MIN_SECRET_LENGTH = 6
_NOT_SECRETS = frozenset({"true", "false", "null", "none", "****"})
_SECRET_NAME = (
    r"[\w.-]{0,40}(?:token|secret|passw(?:or)?d|passwd|api[-_]?key|apikey|signature)[\w.-]{0,40}"
)

_AUTH_HEADER = re.compile(
    r"(?P<head>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
    r"(?:(?:bearer|basic|token|digest|negotiate)\s+)?)(?P<value>[^\s\"',;}&]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<head>\bbearer\s+)(?P<value>[A-Za-z0-9\-._~+/]{4,}=*)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)(?P<value>[^\s@/]+)(?=@)")
_QUOTED_FIELD = re.compile(
    rf"(?P<head>(?P<q>[\"'])(?:{_SECRET_NAME})(?P=q)\s*:\s*(?P<v>[\"']))(?P<value>.*?)(?P=v)",
    re.IGNORECASE,
)
_PLAIN_FIELD = re.compile(
    rf"(?P<head>(?<![\w.-])(?:{_SECRET_NAME})[\"']?\s*[=:]\s*)(?P<value>[^\s\"'&,;)}}\]]+)",
    re.IGNORECASE,
)

_PATTERNS = (_AUTH_HEADER, _BEARER, _URL_PASSWORD, _QUOTED_FIELD, _PLAIN_FIELD)
_MAY_MATCH = re.compile(r"token|secret|passw|api[-_]?key|signature|authorization|bearer|://", re.I)
"""What every one of :data:`_PATTERNS` needs somewhere in the text: most log lines (an access
log line, a job's outcome) have none of it and skip the patterns."""
_known: set[str] = set()
_known_longest_first: tuple[str, ...] = ()
_known_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Hide ``value`` wherever it appears in a log line from now on (short values ignored)."""
    global _known_longest_first
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _known_lock:
            if value not in _known:
                _known.add(value)
                _known_longest_first = tuple(sorted(_known, key=len, reverse=True))


def register_secrets(values: Iterable[str | None]) -> None:
    for value in values:
        register_secret(value)


def _masked(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.startswith("****") or value.lower() in _NOT_SECRETS:
        return match.group(0)
    closing = match.groupdict().get("v") or ""
    return match.group("head") + mask(value) + closing


def mask_secrets(text: str) -> str:
    """``text`` with credentials and secret-looking values replaced by ``****…``; a value
    found this way is also hidden where it appears again without its name."""
    if not text:
        return text
    known = _known_longest_first
    if _MAY_MATCH.search(text) is None:
        for secret in known:
            if secret in text:
                text = text.replace(secret, mask(secret))
        return text
    found: set[str] = set()
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = match.group("value")
            if len(value) >= _MIN_SECRET_LENGTH and value.lower() not in _NOT_SECRETS:
                found.add(value)
    for secret in sorted(found.union(known), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask(secret))
    for pattern in _PATTERNS:  # short values, in place
        text = pattern.sub(_masked, text)
    return text


def is_secret_name(name: str) -> bool:
    return re.fullmatch(_SECRET_NAME, name, re.IGNORECASE) is not None
