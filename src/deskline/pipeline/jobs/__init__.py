"""The pipeline's job kinds (``helpdesk.*``, ``recording.prepare``), registered per process.

:func:`register` binds the handlers to one :class:`~deskline.pipeline.service.Pipeline`
(replacing an earlier registration, e.g. in tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskline.outbox import register_handler
from deskline.pipeline.jobs.common import ContactNeed, Kinds, PipelineHandler, pipeline_handler
from deskline.pipeline.jobs.display import run_display
from deskline.pipeline.jobs.lookup import run_create_contact, run_lookup
from deskline.pipeline.jobs.recording import run_prepare_recording
from deskline.pipeline.jobs.tickets import run_call_journal, run_create_ticket

if TYPE_CHECKING:
    from deskline.pipeline.service import Pipeline

CONTACT_NEEDS: dict[str, ContactNeed] = {
    Kinds.LOOKUP: ContactNeed.INDEXED,
    Kinds.CREATE_CONTACT: ContactNeed.INDEXED,
    Kinds.CREATE_TICKET: ContactNeed.INDEXED,
    Kinds.SCREEN_POP: ContactNeed.INDEXED,
    Kinds.CALL_JOURNAL: ContactNeed.KNOWN,
}
"""What each kind reads of the call's contact with its start (in the same read)."""

HANDLERS: dict[str, PipelineHandler] = {
    Kinds.LOOKUP: run_lookup,
    Kinds.CREATE_CONTACT: run_create_contact,
    Kinds.CREATE_TICKET: run_create_ticket,
    Kinds.CALL_JOURNAL: run_call_journal,
    Kinds.SCREEN_POP: run_display,
    Kinds.PREPARE_RECORDING: run_prepare_recording,
}


def register(pipeline: Pipeline) -> None:
    for kind, run in HANDLERS.items():
        need = CONTACT_NEEDS.get(kind, ContactNeed.NONE)
        register_handler(kind, pipeline_handler(pipeline, run, need), replace=True)


__all__ = ["HANDLERS", "Kinds", "register"]
