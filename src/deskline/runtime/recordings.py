"""Recordings fetched through the running PBX adapters (the pipeline's RecordingFetcher)."""

from __future__ import annotations

from pathlib import Path

from deskline.pbx.recordings import FetchedRecording, RecordingNotReadyError
from deskline.runtime.supervisor import PbxSupervisor


class SupervisorRecordingFetcher:
    """``await fetcher(source, ref, destination)`` through the adapter of connection ``source``
    that this process runs (found by name in the supervisor: no database read)."""

    def __init__(self, supervisor: PbxSupervisor | None = None) -> None:
        self.supervisor = supervisor  # set once the runtime has built it

    def __repr__(self) -> str:
        return "SupervisorRecordingFetcher()"

    async def __call__(self, source: str, ref: str, destination: Path) -> FetchedRecording:
        supervisor = self.supervisor
        adapter = supervisor.adapter_named(source) if supervisor is not None else None
        if adapter is None:
            raise RecordingNotReadyError(f"the PBX connection {source!r} is not running now")
        return await adapter.fetch_recording(ref, destination)
