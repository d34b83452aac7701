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
from deskline.store.types import utcnow


async def run_prepare_recording(job: CallJob) -> str | None:
    token = str(job.payload.get("token", ""))
    options = job.pipeline.options.recordings
    try:
        cached = await job.pipeline.recordings.get(token)
    except LookupError:
        return "the recording row is gone"
    except RecordingUnavailableError as exc:
        return f"recording unavailable: {exc}"
    except RecordingNotReadyError as exc:
        ended = job.call.ended_at or job.job.claimed_at
        if utcnow() - ended < timedelta(seconds=options.not_ready_window_seconds):
            raise Waiting(f"recording not ready: {exc}", options.not_ready_retry_seconds) from exc
        return f"recording still not ready after {options.not_ready_window_seconds:.0f} s: {exc}"
    return f"recording ready ({cached.content_type}, {cached.size} bytes)"
