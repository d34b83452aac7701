"""Context-aware output: where a value lands decides how it is escaped.

A template's literal text is the structure the admin wrote; a value is data. Each writer
follows the lexical state of the literal text (inside a JSON string or not; in a URL's
authority, path, query or fragment; inside a quoted GJSON string or not) and escapes every
value so that it cannot change that structure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache
from urllib.parse import quote

from deskline.errors import TemplateRenderError

MAX_OUTPUT_CHARS = 1_000_000
"""A rendered template longer than this is refused (no template needs it; a loop might)."""


class RenderMode(StrEnum):
    TEXT = "text"  # plain: subjects, descriptions (placed into bodies later)
    JSON = "json"  # a JSON request body
    URL = "url"  # a request URL
    HEADER = "header"  # a header value
    PATH = "path"  # a GJSON path with variables


@dataclass(frozen=True, slots=True)
class Value:
    """What one action printed, and where it came from."""

    text: str
    trusted: bool  # only admin configuration (or template constants) went into it
    url_encoded: bool  # its last step was UrlEncode
    label: str  # for error messages: "the value of .Phone"


class Writer:
    """Plain output (TEXT mode); the base of the escaping writers."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0

    def _append(self, text: str) -> None:
        self._size += len(text)
        if self._size > MAX_OUTPUT_CHARS:
            raise TemplateRenderError(
                f"the rendered text is longer than {MAX_OUTPUT_CHARS} characters"
            )
        self._parts.append(text)

    def literal(self, text: str) -> None:
        self._append(text)

    def value(self, value: Value) -> None:
        self._append(value.text)

    def finish(self) -> str:
        return "".join(self._parts)


# --- JSON --------------------------------------------------------------------------------------
class _Quoted(IntEnum):
    OUTSIDE = 0
    INSIDE = 1  # inside a "..." string
    ESCAPE = 2  # right after a backslash inside a string


@lru_cache(maxsize=4096)
def _quoted_state_after(text: str, state: _Quoted) -> _Quoted:
    """The string state after ``text`` (JSON and GJSON strings share the rules)."""
    if state is _Quoted.OUTSIDE and '"' not in text:
        return state
    if state is _Quoted.INSIDE and '"' not in text and "\\" not in text:
        return state
    for char in text:
        if state is _Quoted.ESCAPE:
            state = _Quoted.INSIDE
        elif char == '"':
            state = _Quoted.OUTSIDE if state is _Quoted.INSIDE else _Quoted.INSIDE
        elif char == "\\" and state is _Quoted.INSIDE:
            state = _Quoted.ESCAPE
    return state


_NEEDS_JSON_ESCAPE = re.compile('["\\\\\x00-\x1f\u2028\u2029\ud800-\udfff]')
_JSON_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def json_string_content(text: str) -> str:
    """``text`` escaped for the inside of a JSON string literal (quotes not included)."""
    if not _NEEDS_JSON_ESCAPE.search(text):
        return text
    has_surrogate = any("\ud800" <= char <= "\udfff" for char in text)
    escaped = json.dumps(text, ensure_ascii=has_surrogate)[1:-1]
    return escaped.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _refuse_after_backslash(value: Value) -> TemplateRenderError:
    return TemplateRenderError(
        f"{value.label} follows a backslash inside a quoted string; remove the backslash"
    )


class JsonWriter(Writer):
    """Values inside a JSON string are JSON-escaped; outside a string a value goes in as a
    number/true/false/null only when it is exactly that literal, otherwise as a string.
    The whole body must parse."""

    def __init__(self) -> None:
        super().__init__()
        self._state = _Quoted.OUTSIDE

    def literal(self, text: str) -> None:
        self._state = _quoted_state_after(text, self._state)
        self._append(text)

    def value(self, value: Value) -> None:
        if self._state is _Quoted.INSIDE:
            self._append(json_string_content(value.text))
        elif self._state is _Quoted.OUTSIDE:
            if _JSON_SCALAR.fullmatch(value.text):
                self._append(value.text)
            else:
                self._append('"' + json_string_content(value.text) + '"')
        else:
            raise _refuse_after_backslash(value)

    def finish(self) -> str:
        body = super().finish()
        if not body.strip():
            return ""
        try:
            json.loads(body, parse_constant=_refuse_constant)
        except ValueError as exc:
            where = (
                f" (line {exc.lineno}, column {exc.colno})"
                if isinstance(exc, json.JSONDecodeError)
                else ""
            )
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise TemplateRenderError(
                f"the rendered JSON body does not parse: {reason}{where}"
            ) from None
        return body


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


# --- URL ---------------------------------------------------------------------------------------
class _UrlPart(IntEnum):
    START = 0  # scheme, or a relative reference before any "/"
    AUTHORITY = 1  # after "://"
    PATH = 2
    QUERY = 3
    FRAGMENT = 4


_URL_TRANSITIONS = {
    _UrlPart.START: {"/": _UrlPart.PATH, "?": _UrlPart.QUERY, "#": _UrlPart.FRAGMENT},
    _UrlPart.AUTHORITY: {"/": _UrlPart.PATH, "?": _UrlPart.QUERY, "#": _UrlPart.FRAGMENT},
    _UrlPart.PATH: {"?": _UrlPart.QUERY, "#": _UrlPart.FRAGMENT},
    _UrlPart.QUERY: {"#": _UrlPart.FRAGMENT},
    _UrlPart.FRAGMENT: {},
}


@lru_cache(maxsize=4096)
def _url_part_after(text: str, part: _UrlPart) -> _UrlPart:
    index = 0
    while index < len(text):
        if part is _UrlPart.START and text.startswith("://", index):
            part = _UrlPart.AUTHORITY
            index += 3
            continue
        part = _URL_TRANSITIONS[part].get(text[index], part)
        index += 1
    return part


class UrlWriter(Writer):
    """Untrusted values are percent-encoded (every character but A-Z a-z 0-9 - _ . ~), so
    ``/ ? # & =`` cannot add parts; a path segment of only dots is encoded too. Values that
    went through UrlEncode are not encoded twice; trusted values go in as entered."""

    def __init__(self) -> None:
        super().__init__()
        self._part = _UrlPart.START

    def literal(self, text: str) -> None:
        self._part = _url_part_after(text, self._part)
        self._append(text)

    def value(self, value: Value) -> None:
        if value.trusted:
            self.literal(value.text)
            return
        text = value.text if value.url_encoded else quote(value.text, safe="")
        if self._part is _UrlPart.PATH and text and not text.strip("."):
            text = text.replace(".", "%2E")
        self._append(text)


# --- header -----------------------------------------------------------------------------------
_HEADER_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


class HeaderWriter(Writer):
    """A header value: CR, LF or another control character raises instead of splitting."""

    def value(self, value: Value) -> None:
        if _HEADER_FORBIDDEN.search(value.text):
            raise TemplateRenderError(
                f"{value.label} contains a line break or control character and cannot be "
                "put into a header"
            )
        self._append(value.text)

    def finish(self) -> str:
        text = super().finish()
        if _HEADER_FORBIDDEN.search(text):
            raise TemplateRenderError("the header template contains a line break")
        return text


# --- GJSON path -------------------------------------------------------------------------------
_PATH_PLAIN = re.compile(r"[A-Za-z0-9_\-]*")


def gjson_key_escape(text: str) -> str:
    """``text`` as a literal GJSON key: every ASCII punctuation or space gets a backslash."""
    if _PATH_PLAIN.fullmatch(text):
        return text
    return "".join(
        char if char.isalnum() or char in "_-" or ord(char) > 127 else "\\" + char for char in text
    )


class PathWriter(Writer):
    """Inside a quoted GJSON string a value is JSON-escaped; elsewhere every special
    character gets a backslash, so a value cannot add components, queries or alternatives."""

    def __init__(self) -> None:
        super().__init__()
        self._state = _Quoted.OUTSIDE

    def literal(self, text: str) -> None:
        self._state = _quoted_state_after(text, self._state)
        self._append(text)

    def value(self, value: Value) -> None:
        if self._state is _Quoted.INSIDE:
            self._append(json_string_content(value.text))
        elif self._state is _Quoted.OUTSIDE:
            self._append(gjson_key_escape(value.text))
        else:
            raise _refuse_after_backslash(value)


_WRITERS: dict[RenderMode, type[Writer]] = {
    RenderMode.TEXT: Writer,
    RenderMode.JSON: JsonWriter,
    RenderMode.URL: UrlWriter,
    RenderMode.HEADER: HeaderWriter,
    RenderMode.PATH: PathWriter,
}


def writer_for(mode: RenderMode) -> Writer:
    """A new writer for ``mode`` (a :class:`RenderMode` or its value; an unknown one raises
    ``ValueError``). Looked up directly: a StrEnum member and its value are the same key, and
    ``RenderMode(mode)`` on every render was a measurable part of rendering a request."""
    found = _WRITERS.get(mode)
    return (found or _WRITERS[RenderMode(mode)])()
