"""``recording.prepare`` (F13, F30): fetch the call's recording from the PBX into the cache.

It runs right after the call, before the ticket and journal jobs of the call (same ordering
key), so their ``RecordPath`` is set when the recording is there. A recording that is not
ready yet is asked for again every ``not_ready_retry_seconds`` until
``not_ready_window_seconds`` after the call ended; then the journal is written without it
(the link still works later if the file appears: it is fetched on first play).
"""

from __future__ import annotations

from datetime import timedelta

from deskline.pbx.recordings import RecordingNotReadyError, RecordingUnavailableError
from deskline.pipeline.jobs.common import CallJob, Waiting
from deskline.pipeline.recordings import RecordingState
from deskline.store.types import utcnow


async def run_prepare_recording(job: CallJob) -> str | None:
    return await _fetch(job, str(job.payload.get("token", "")))


async def prepare_recording(job: CallJob) -> str | None:
    """Fetch the call's recording unless it is cached (None: the call has none or F13 is off).
    Raises :class:`Waiting` while a recording that is not ready may still come."""
    row = job.recording
    if row is None or not job.helpdesk.settings.recording_applies:
        return None
    if row.state == RecordingState.READY:
        return "recording ready"
    return await _fetch(job, row.token)


async def _fetch(job: CallJob, token: str) -> str | None:
    options = job.pipeline.options.recordings
    try:
        cached = await job.pipeline.recordings.get(
            token, known=job.recording, save_with=job.context.with_attempt
        )
    except LookupError:
        return "the recording row is gone"
    except RecordingUnavailableError as exc:
        return f"recording unavailable: {exc}"
    except RecordingNotReadyError as exc:
        ended = job.call.ended_at or job.job.claimed_at
        if utcnow() - ended < timedelta(seconds=options.not_ready_window_seconds):
            raise Waiting(f"recording not ready: {exc}", options.not_ready_retry_seconds) from exc
        return f"recording still not ready after {options.not_ready_window_seconds:.0f} s: {exc}"
    if job.recording is not None and job.recording.token == token:
        job.recording.state = RecordingState.READY  # this job's view (the row is saved)
    return f"recording ready ({cached.content_type}, {cached.size} bytes)"
