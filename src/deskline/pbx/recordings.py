"""Recording files fetched from a PBX (F30): what ``PbxAdapter.fetch_recording`` returns.

Adapters write the file to a destination path chosen by deskline and say what it is
(:class:`FetchedRecording`). A recording the PBX has not finished yet raises
:class:`RecordingNotReadyError` (deskline asks again a little later); one that cannot be had at
all raises :class:`RecordingUnavailableError`.
"""

from __future__ import annotations

import array
import functools
import io
import math
import os
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import httpx

from deskline.errors import PbxError

_BY_SUFFIX = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".gsm": "audio/x-gsm",
    ".m4a": "audio/mp4",
}
DEFAULT_TYPE = "application/octet-stream"


class RecordingNotReadyError(PbxError):
    """The PBX has no (complete) file for this recording yet: ask again later."""


class RecordingUnavailableError(PbxError):
    """This PBX cannot provide the recording (no such file, not supported)."""


@dataclass(frozen=True)
class FetchedRecording:
    content_type: str
    size: int


def content_type_of(name: str, head: bytes = b"") -> str:
    """The media type of a recording file, from its name, else its first bytes."""
    suffix = Path(name.split("?", 1)[0]).suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    return DEFAULT_TYPE


def write_file(destination: Path, content: bytes) -> None:
    """Write atomically: a reader never sees half a file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, destination)


async def download(
    client: httpx.AsyncClient, url: str, destination: Path, *, params: dict[str, str] | None = None
) -> FetchedRecording:
    """Stream ``url`` into ``destination``; 404 means not ready yet."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    try:
        async with client.stream("GET", url, params=params) as response:
            if response.status_code == 404:
                raise RecordingNotReadyError(f"the PBX has no recording at {url.split('?')[0]}")
            if response.status_code >= 400:
                raise RecordingUnavailableError(
                    f"the PBX answered {response.status_code} for the recording"
                )
            size = 0
            head = b""
            with partial.open("wb") as handle:
                async for chunk in response.aiter_bytes():
                    if len(head) < 16:
                        head += chunk[:16]
                    handle.write(chunk)
                    size += len(chunk)
            declared = response.headers.get("content-type", "").split(";")[0].strip()
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise RecordingNotReadyError(f"downloading the recording failed: {exc}") from exc
    if size == 0:
        partial.unlink(missing_ok=True)
        raise RecordingNotReadyError("the PBX sent an empty recording")
    os.replace(partial, destination)
    kind = declared if declared.startswith("audio/") else content_type_of(url, head)
    return FetchedRecording(kind, size)


@functools.lru_cache(maxsize=8)
def tone_wav(seconds: float = 1.0, frequency: float = 440.0, rate: int = 8000) -> bytes:
    """A short 8 kHz 16-bit mono tone: the simulator's stand-in for a call recording
    (made once per shape: the simulator serves it for every call)."""
    frames = int(seconds * rate)
    samples = array.array(
        "h", (int(12000 * math.sin(2 * math.pi * frequency * i / rate)) for i in range(frames))
    )
    if sys.byteorder == "big":
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()
