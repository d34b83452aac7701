"""``GET /recordings/{token}?exp=…&sig=…``: a call recording for the helpdesk's player (F30).

No login: the signed, expiring link is the permission (see
:mod:`deskline.pipeline.recordings`). A tampered or expired link gets 403. The file is fetched
from the PBX on first play and cached; it is served with its media type and HTTP Range
support (``Accept-Ranges: bytes``, 206 partial content, 416 for an unsatisfiable range).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from deskline.pbx.recordings import RecordingNotReadyError, RecordingUnavailableError
from deskline.runtime.services import Runtime

router = APIRouter(tags=["recordings"])


@router.get("/recordings/{token}", response_class=FileResponse)
async def recording(request: Request, token: str, exp: str = "", sig: str = "") -> FileResponse:
    runtime: Runtime = request.app.state.runtime
    pipeline = runtime.pipeline
    if not pipeline.links.verify(token, exp, sig):
        raise HTTPException(403, "this recording link is invalid or has expired")
    try:
        cached = await pipeline.recordings.get(token)
    except LookupError:
        raise HTTPException(404, "no such recording") from None
    except RecordingNotReadyError:
        raise HTTPException(
            503, "the recording is not available yet", headers={"Retry-After": "30"}
        ) from None
    except RecordingUnavailableError:
        raise HTTPException(404, "the PBX has no such recording") from None
    return FileResponse(
        cached.path,
        media_type=cached.content_type,
        headers={"Cache-Control": "private, max-age=3600"},
    )
