"""Replaying recorded AMI traffic into calls: parse → translate → track → finalise.

Two file shapes are read: the reference captures (frames separated by ``### t+N.NNNs``
lines, ``# …`` comment lines) and a plain AMI byte dump (``\\r\\n`` or ``\\n``). Lines starting
with ``#`` are never AMI, so both are read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deskline.calls.events import CallEvent
from deskline.calls.model import Call
from deskline.calls.tracker import CallTracker
from deskline.errors import DesklineError
from deskline.pbx.asterisk.dialplan import Dialplan
from deskline.pbx.asterisk.protocol import Frame, FrameParser
from deskline.pbx.asterisk.translator import AmiTranslator


class CaptureError(DesklineError):
    """A file that cannot be replayed: unreadable, or holding no AMI frames."""


@dataclass
class ReplayResult:
    calls: list[Call]
    events: list[CallEvent]
    frames: int
    banner: str | None = None
    login_error: str | None = None
    skipped_lines: int = 0
    notes: list[str] = field(default_factory=list)


def read_frames(data: bytes, *, source: str = "capture") -> tuple[list[Frame], FrameParser]:
    """The AMI frames of a capture or dump, and the parser (banner, skipped lines)."""
    kept = b"\n".join(line for line in data.splitlines() if not line.startswith(b"#"))
    parser = FrameParser(source=source)
    frames = parser.feed(kept) + parser.feed(b"\n\n")
    parser.close()
    return frames, parser


def translate_frames(frames: list[Frame], dialplan: Dialplan) -> list[CallEvent]:
    translator = AmiTranslator(dialplan)
    return [event for frame in frames for event in translator.translate(frame)]


def replay(
    data: bytes, dialplan: Dialplan | None = None, *, source: str = "capture"
) -> ReplayResult:
    """The calls recorded in ``data``, each finalised as if the stream had ended."""
    frames, parser = read_frames(data, source=source)
    if not frames:
        raise CaptureError(f"{source}: no AMI frames found (is this an AMI capture?)")
    events = translate_frames(frames, dialplan or Dialplan())
    tracker = CallTracker()
    for event in events:
        tracker.apply(event)
    calls = [update.call for update in tracker.finalise_all()]
    calls.sort(key=lambda call: (call.started_at is None, call.started_at, call.call_id))
    result = ReplayResult(
        calls=calls,
        events=events,
        frames=len(frames),
        banner=parser.banner,
        skipped_lines=parser.skipped_lines,
    )
    for frame in frames:
        message = frame.value("Message")
        if frame.response == "Error" and "authentication" in message.lower():
            result.login_error = message
            result.notes.append(f"the PBX refused the login: {message}")
    if parser.skipped_lines or parser.dropped_frames:
        result.notes.append(
            f"{parser.skipped_lines} unreadable line(s) and {parser.dropped_frames} cut-off "
            "frame(s) were skipped"
        )
    return result


def replay_file(path: Path, dialplan: Dialplan | None = None) -> ReplayResult:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return replay(data, dialplan, source=path.name)
