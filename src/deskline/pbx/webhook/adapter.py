"""The generic JSON webhook as a PBX kind (``webhook``).

Events arrive through ``POST /webhooks/pbx/{connection}`` (see :mod:`deskline.web.pbx_webhooks`),
so :meth:`WebhookAdapter.run` has nothing to connect to and only waits; such a PBX offers no
click-to-call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

import httpx
from pydantic import BaseModel

from deskline.pbx.base import EventSink, OriginateResult, register_adapter
from deskline.pbx.recordings import FetchedRecording, RecordingUnavailableError, download
from deskline.pbx.webhook.config import WebhookConfig
from deskline.pbx.webhook.translate import WebhookTranslator


class WebhookAdapter:
    """A PBX that pushes the generic JSON webhook to deskline."""

    kind: ClassVar[str] = "webhook"
    config_model: ClassVar[type[BaseModel]] = WebhookConfig

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self.translator = WebhookTranslator(config.default_country)
        self._closed = asyncio.Event()

    def __repr__(self) -> str:
        return "WebhookAdapter()"

    async def run(self, sink: EventSink) -> None:
        await self._closed.wait()

    async def originate(
        self, extension: str, number: str, *, variables: dict[str, str] | None = None
    ) -> OriginateResult:
        return OriginateResult(
            accepted=False,
            message="a webhook PBX only sends events: click-to-call is not available",
        )

    async def fetch_recording(self, ref: str, destination: Path) -> FetchedRecording:
        """A recording the PBX sent as an http(s) URL is downloaded; anything else is not
        reachable from deskline."""
        if not ref.startswith(("https://", "http://")):
            raise RecordingUnavailableError("a webhook PBX's recording must be an http(s) URL")
        async with httpx.AsyncClient(timeout=30.0, follow_redirects=True) as client:
            return await download(client, ref, destination)

    async def close(self) -> None:
        self._closed.set()


def _build(config: BaseModel) -> WebhookAdapter:
    assert isinstance(config, WebhookConfig)
    return WebhookAdapter(config)


register_adapter(WebhookAdapter.kind, WebhookConfig, _build)
