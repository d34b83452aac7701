"""Secrets out of what deskline prints and logs: URLs, headers and bodies of requests.

A :class:`Masker` knows the connection's secret values (password custom fields, tokens) and
hides them wherever they appear; names that look secret (``token``, ``secret``, ``password``,
``key``, ``code``…) are hidden in query strings, headers and JSON bodies too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

import httpx

from deskline.crypto import mask

_SECRET_NAME = re.compile(
    r"token|secret|passw|api[-_]?key|apikey|^auth$|authoriz|signature|^sig$|^code$|verifier|session|cookie",
    re.IGNORECASE,
)
_MIN_SECRET_LENGTH = 4


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


class Masker:
    """Hides known secret values and secret-looking fields."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self._longest_first: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        self._secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH)
        self._longest_first = tuple(sorted(self._secrets, key=len, reverse=True))

    def text(self, text: str) -> str:
        """``text`` with every known secret value replaced (longest first)."""
        for secret in self._longest_first:
            if secret in text:
                text = text.replace(secret, mask(secret))
        return text

    def url(self, url: str) -> str:
        """``url`` with its password and secret-looking query values masked (as written)."""
        if "@" in url:  # (no "@": no user information, so no password to look for)
            try:
                parsed = httpx.URL(url)
            except (httpx.InvalidURL, TypeError, ValueError):
                return self.text(url)
            if parsed.password:
                url = url.replace(f":{parsed.password}@", ":****@", 1)
        base, question, query = url.partition("?")
        if question:
            query, hash_mark, fragment = query.partition("#")
            pairs = []
            for pair in query.split("&"):
                name, equals, value = pair.partition("=")
                secret = is_secret_name(unquote_plus(name)) and value
                pairs.append(f"{name}{equals}****" if secret else pair)
            url = f"{base}?{'&'.join(pairs)}{hash_mark}{fragment}"
        return self.text(url)

    def header(self, name: str, value: str) -> str:
        if name.lower() == "authorization":
            scheme, _, credentials = value.partition(" ")
            return f"{scheme} {mask(credentials)}" if credentials else mask(value)
        if is_secret_name(name):
            return mask(value)
        return self.text(value)

    def body(self, body: str | None) -> str | None:
        if body is None:
            return None
        try:
            document = json.loads(body)
        except ValueError:
            return self.text(body)
        return self.text(json.dumps(_mask_document(document), ensure_ascii=False))


def _mask_document(node: object) -> object:
    if isinstance(node, dict):
        return {
            k: ("****" if is_secret_name(str(k)) and v not in (None, "") else _mask_document(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_mask_document(item) for item in node]
    return node
