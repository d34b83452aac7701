"""Asterisk recordings (F30): the MixMonitor file, read from a directory deskline can see.

The call's recording reference is the ``MIXMONITOR_FILENAME`` Asterisk reported, a path on the
PBX (``/var/spool/asterisk/monitor/1700000000.12.wav``). deskline reads it from
``recordings_dir`` — the same directory, mounted or shared (NFS, a volume) — mapping the PBX's
``recordings_pbx_dir`` prefix onto it. A reference that points anywhere else (``..``, another
absolute path, a symlink out of the directory) is refused.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path, PurePosixPath

from deskline.pbx.recordings import (
    FetchedRecording,
    RecordingNotReadyError,
    RecordingUnavailableError,
    content_type_of,
)


def resolve_recording(ref: str, recordings_dir: Path | None, pbx_dir: str | None) -> Path:
    """The local file of ``ref``, guaranteed to lie inside ``recordings_dir``."""
    if recordings_dir is None:
        raise RecordingUnavailableError(
            "no recordings directory is configured for this Asterisk (recordings_dir)"
        )
    if not ref or "\x00" in ref:
        raise RecordingUnavailableError("the call has no usable recording reference")
    root = recordings_dir.resolve()
    reference = PurePosixPath(ref)
    if reference.is_absolute():
        relative = _relative_to_any(reference, [pbx_dir, str(root)])
        if relative is None:
            raise RecordingUnavailableError(
                f"the recording {ref!r} is outside the recordings directory"
            )
    else:
        relative = reference
    candidate = (root / Path(*relative.parts)).resolve() if relative.parts else root
    if candidate == root or not candidate.is_relative_to(root):
        raise RecordingUnavailableError(
            f"the recording {ref!r} is outside the recordings directory"
        )
    return candidate


def _relative_to_any(path: PurePosixPath, prefixes: list[str | None]) -> PurePosixPath | None:
    for prefix in prefixes:
        if prefix and path.is_relative_to(PurePosixPath(prefix)):
            return path.relative_to(PurePosixPath(prefix))
    return None


async def copy_recording(source: Path, destination: Path) -> FetchedRecording:
    """Copy a finished MixMonitor file; a missing or empty one is not ready yet."""
    return await asyncio.to_thread(_copy, source, destination)


def _copy(source: Path, destination: Path) -> FetchedRecording:
    if not source.is_file() or source.stat().st_size == 0:
        raise RecordingNotReadyError(f"the recording file {source.name} is not there yet")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    shutil.copyfile(source, partial)
    partial.replace(destination)
    with destination.open("rb") as handle:
        head = handle.read(16)
    return FetchedRecording(content_type_of(source.name, head), destination.stat().st_size)
