"""Reading MixMonitor recordings from the configured directory, and nothing outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskline.pbx.asterisk.recording_files import copy_recording, resolve_recording
from deskline.pbx.recordings import RecordingNotReadyError, RecordingUnavailableError

PBX_DIR = "/var/spool/asterisk/monitor"


def test_the_pbx_path_maps_into_the_local_directory(tmp_path: Path) -> None:
    assert (
        resolve_recording(f"{PBX_DIR}/1700.12.wav", tmp_path, PBX_DIR) == tmp_path / "1700.12.wav"
    )
    assert resolve_recording("2024/1700.12.wav", tmp_path, PBX_DIR) == tmp_path / "2024/1700.12.wav"


@pytest.mark.parametrize(
    "ref", ["/etc/passwd", f"{PBX_DIR}/../../../etc/passwd", "../secret.wav", "", "a\x00b"]
)
def test_references_outside_the_directory_are_refused(tmp_path: Path, ref: str) -> None:
    with pytest.raises(RecordingUnavailableError):
        resolve_recording(ref, tmp_path / "recordings", PBX_DIR)


def test_a_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    (tmp_path / "secret.txt").write_text("no")
    (recordings / "link.wav").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(RecordingUnavailableError):
        resolve_recording("link.wav", recordings, PBX_DIR)


async def test_a_missing_file_is_not_ready_and_a_present_one_is_copied(tmp_path: Path) -> None:
    source = tmp_path / "1700.12.wav"
    with pytest.raises(RecordingNotReadyError):
        await copy_recording(source, tmp_path / "cache" / "x.rec")
    source.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt data")
    fetched = await copy_recording(source, tmp_path / "cache" / "x.rec")
    assert (fetched.content_type, fetched.size) == ("audio/wav", source.stat().st_size)
    assert (tmp_path / "cache" / "x.rec").read_bytes() == source.read_bytes()
