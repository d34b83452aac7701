"""The P-Series Open API client: authenticated calls, ``call/dial`` and recording links.

Every request sends ``User-Agent: OpenAPI`` and the shared access token in the query string.
A token error makes the client log in again once and repeat the request; any other non-zero
``errcode`` becomes a :class:`~deskline.errors.PbxActionError`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from deskline.errors import PbxActionError, PbxProtocolError
from deskline.pbx.pseries.config import PSeriesConfig
from deskline.pbx.pseries.http import (
    USER_AGENT,
    call_openapi,
    describe,
    errcode_of,
    hide_tokens_in_http_logs,
    is_token_error,
)
from deskline.pbx.pseries.tokens import Clock, TokenManager
from deskline.pbx.recordings import FetchedRecording, RecordingNotReadyError, download


class PSeriesApi:
    """One PBX's Open API, sharing one access token across all requests."""

    def __init__(
        self,
        config: PSeriesConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.config = config
        hide_tokens_in_http_logs()
        self._http = httpx.AsyncClient(
            base_url=config.api_url,
            headers={"User-Agent": USER_AGENT},
            verify=config.verify_tls,
            timeout=config.request_timeout_seconds,
            transport=transport,
        )
        self.tokens = TokenManager(
            self._http,
            config.client_id,
            config.client_secret,
            refresh_margin=config.token_refresh_margin_seconds,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"PSeriesApi({self.config.base_url!r})"

    async def request(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The answer of a successful call; re-logs in once if the token is refused."""
        token = await self.tokens.get()
        body = await self._call(method, endpoint, token, params, json)
        if is_token_error(body):
            token = await self.tokens.renew(token)
            body = await self._call(method, endpoint, token, params, json)
        if errcode_of(body) != 0:
            raise PbxActionError(f"P-Series {endpoint} refused: {describe(body)}")
        return body

    async def dial(
        self,
        caller: str,
        callee: str,
        *,
        dial_permission: str | None = None,
        auto_answer: bool | None = None,
    ) -> str:
        """Call ``callee`` from ``caller``; the PBX's call id (a failed dial arrives as 30015)."""
        payload: dict[str, Any] = {"caller": caller, "callee": callee}
        if dial_permission:
            payload["dial_permission"] = dial_permission
        if auto_answer is not None:
            payload["auto_answer"] = "yes" if auto_answer else "no"
        body = await self.request("POST", "call/dial", json=payload)
        call_id = body.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            raise PbxProtocolError("P-Series call/dial answered without a call_id")
        return call_id

    async def recording_download(
        self, *, recording_id: int | None = None, file: str | None = None
    ) -> str:
        """The PBX's download address of a recording (valid 30 min; send the access token)."""
        if (recording_id is None) == (file is None):
            raise ValueError("give exactly one of recording_id or file")
        params = {"id": str(recording_id)} if recording_id is not None else {"file": str(file)}
        body = await self.request("GET", "recording/download", params=params)
        path = body.get("download_resource_url")
        if not isinstance(path, str) or not path:
            raise PbxProtocolError("P-Series recording/download answered without a URL")
        return path if path.startswith(("http://", "https://")) else self.config.base_url + path

    async def download_recording(self, file: str, destination: Path) -> FetchedRecording:
        """Ask ``recording/download`` for the file's address, then download it (F30)."""
        try:
            url = await self.recording_download(file=file)
        except PbxActionError as exc:  # e.g. the file is not written yet
            raise RecordingNotReadyError(str(exc)) from exc
        token = await self.tokens.get()
        return await download(self._http, url, destination, params={"access_token": token})

    async def _call(
        self,
        method: str,
        endpoint: str,
        token: str,
        params: dict[str, str] | None,
        json: dict[str, Any] | None,
    ) -> dict[str, Any]:
        query = {**(params or {}), "access_token": token}
        return await call_openapi(self._http, method, endpoint, params=query, json=json)

    async def aclose(self) -> None:
        await self.tokens.revoke()
        await self._http.aclose()
