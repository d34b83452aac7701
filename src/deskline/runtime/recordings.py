"""Recordings fetched through the running PBX adapters (the pipeline's RecordingFetcher)."""

from __future__ import annotations

from pathlib import Path

from deskline.crypto import SecretBox
from deskline.pbx.recordings import FetchedRecording, RecordingNotReadyError
from deskline.runtime.supervisor import PbxSupervisor
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import PbxConnectionRepository


class SupervisorRecordingFetcher:
    """``await fetcher(source, ref, destination)`` through the adapter of connection ``source``."""

    def __init__(
        self, db: Database, box: SecretBox, supervisor: PbxSupervisor | None = None
    ) -> None:
        self.db = db
        self.box = box
        self.supervisor = supervisor  # set once the runtime has built it

    def __repr__(self) -> str:
        return "SupervisorRecordingFetcher()"

    async def __call__(self, source: str, ref: str, destination: Path) -> FetchedRecording:
        async with self.db.read() as session:
            view = await PbxConnectionRepository(session, self.box).by_name(source)
        running = view is not None and self.supervisor is not None
        adapter = self.supervisor.adapter(view.id) if running else None  # type: ignore[union-attr]
        if adapter is None:
            raise RecordingNotReadyError(f"the PBX connection {source!r} is not running now")
        return await adapter.fetch_recording(ref, destination)
