"""The AMI wire format: ``Key: Value`` lines, a blank line ends a frame.

:class:`FrameParser` turns the byte stream into :class:`Frame` objects. It accepts ``\\r\\n``
and ``\\n`` line ends, keeps repeated keys (``Variable:``, ``Output:``) as lists, keeps
colons inside values, and reads the ``Asterisk Call Manager/…`` banner. What it cannot
understand (garbage lines, frames cut off by a new ``Event:``/``Response:`` or by the end of
the stream, oversized lines) is logged with context and skipped: the parser never raises.

:func:`serialize_action` writes an action frame, refusing values that would inject lines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence

log = logging.getLogger(__name__)

BANNER_PREFIX = "Asterisk Call Manager/"
MAX_LINE_BYTES = 64 * 1024
MAX_FRAME_LINES = 2000
MAX_LOGGED_SKIPS = 20
_KEY = re.compile(r"^[A-Za-z0-9_\-()./]+$")
_FRAME_STARTS = frozenset({"event", "response"})


class Frame:
    """One AMI frame: an event, a response or an action, with its fields in order."""

    __slots__ = ("_index", "items")

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self.items: tuple[tuple[str, str], ...] = tuple(items)
        index: dict[str, list[str]] = {}
        for key, value in self.items:
            index.setdefault(key.lower(), []).append(value)
        self._index = index

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key`` (keys are matched case-insensitively)."""
        values = self._index.get(key.lower())
        return values[0] if values else default

    def value(self, key: str) -> str:
        """The first value of ``key``, or an empty string."""
        values = self._index.get(key.lower())
        return values[0] if values else ""

    def get_all(self, key: str) -> list[str]:
        return list(self._index.get(key.lower(), ()))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._index

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def response(self) -> str | None:
        return self.get("Response")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    def __repr__(self) -> str:
        head = self.event or self.response or self.get("Action") or "?"
        return f"<Frame {head} {len(self.items)} fields>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Frame) and other.items == self.items

    def __hash__(self) -> int:
        return hash(self.items)


class FrameParser:
    """Incremental parser: :meth:`feed` bytes as they arrive, get the completed frames."""

    def __init__(self, *, source: str = "AMI") -> None:
        self.banner: str | None = None
        self.skipped_lines = 0
        self.dropped_frames = 0
        self._source = source
        self._buffer = b""
        self._items: list[tuple[str, str]] = []
        self._line_no = 0
        self._follows = False

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                break
            raw, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
            frame = self._line(raw.rstrip(b"\r"))
            if frame is not None:
                frames.append(frame)
        if len(self._buffer) > MAX_LINE_BYTES:
            self._skip(f"line longer than {MAX_LINE_BYTES} bytes", self._buffer[:80])
            self._buffer = b""
        return frames

    def close(self) -> list[Frame]:
        """The stream ended: a frame without its blank line is reported and dropped."""
        if self._buffer.strip():
            self._skip("unterminated last line", self._buffer[:80])
        self._buffer = b""
        if self._items:
            self._drop("the stream ended inside a frame")
        return []

    def _line(self, raw: bytes) -> Frame | None:
        self._line_no += 1
        text = raw.decode("utf-8", errors="replace")
        if not text.strip():
            return self._finish()
        if self.banner is None and not self._items and text.startswith(BANNER_PREFIX):
            self.banner = text.strip()
            return None
        key, sep, value = text.partition(":")
        key = key.strip()
        if not sep or not _KEY.match(key):
            if self._follows:  # old-style Command output: raw lines until --END COMMAND--
                if text.strip() != "--END COMMAND--":
                    self._items.append(("Output", text))
                return None
            self._skip("not a 'Key: Value' line", raw[:120])
            return None
        if self._starts_new_frame(key.lower()):
            self._drop(f"a new {key} began before the frame ended")
        if len(self._items) >= MAX_FRAME_LINES:
            self._drop(f"frame longer than {MAX_FRAME_LINES} lines")
        value = value[1:] if value.startswith(" ") else value
        self._items.append((key, value))
        if key.lower() == "response" and value.strip().lower() == "follows":
            self._follows = True
        return None

    def _starts_new_frame(self, key: str) -> bool:
        """A second Event/Response means the previous frame lost its end (OriginateResponse
        and its kin are events that carry a Response field: that is no new frame)."""
        if key not in _FRAME_STARTS or not self._items:
            return False
        keys = {k.lower(): v for k, v in self._items}
        if key in keys:
            return True
        event = keys.get("event")
        return key == "response" and event is not None and not event.endswith("Response")

    def _finish(self) -> Frame | None:
        self._follows = False
        if not self._items:
            return None
        frame = Frame(self._items)
        self._items = []
        return frame

    def _skip(self, why: str, raw: bytes) -> None:
        self.skipped_lines += 1
        if self.skipped_lines <= MAX_LOGGED_SKIPS:
            log.warning("%s line %d skipped (%s): %r", self._source, self._line_no, why, raw)
        if self.skipped_lines == MAX_LOGGED_SKIPS:
            log.warning("%s: further unreadable lines are skipped without a message", self._source)

    def _drop(self, why: str) -> None:
        self.dropped_frames += 1
        head = ", ".join(f"{k}: {v}" for k, v in self._items[:4])
        log.warning("%s frame dropped at line %d (%s): %s", self._source, self._line_no, why, head)
        self._items = []
        self._follows = False


def parse_frames(data: bytes, *, source: str = "AMI") -> Iterator[Frame]:
    """Every complete frame of a byte string (the banner is skipped)."""
    parser = FrameParser(source=source)
    yield from parser.feed(data)
    yield from parser.feed(b"\n\n")  # a last frame may lack its final blank line
    parser.close()


def serialize_action(action: str, fields: Mapping[str, str | Sequence[str]] | None = None) -> bytes:
    """An action frame; a sequence value repeats its key (``Variable: a=1``, ``Variable: b=2``).

    Raises :class:`ValueError` for keys or values that would break the frame (line breaks).
    """
    lines = [f"Action: {_checked('Action', action)}"]
    for key, value in (fields or {}).items():
        if not _KEY.match(key):
            raise ValueError(f"invalid AMI key {key!r}")
        values = [value] if isinstance(value, str) else list(value)
        lines += [f"{key}: {_checked(key, item)}" for item in values]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _checked(key: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"the value of {key} must not contain line breaks")
    return value
