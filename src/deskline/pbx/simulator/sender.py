"""Sends scenario steps to a running deskline's generic webhook over HTTP."""

from __future__ import annotations

import httpx

from deskline.errors import DesklineError
from deskline.pbx.simulator.scenario import Step


class SimulatorError(DesklineError):
    """deskline could not be reached or refused a simulated event."""


class WebhookSender:
    """Posts events to ``{base_url}/webhooks/pbx/{connection}`` with a bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connection: str = "simulator",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/webhooks/pbx/{connection}"
        self._client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"WebhookSender({self.url!r})"

    async def __call__(self, step: Step) -> None:
        try:
            response = await self._client.post(self.url, json=step.event)
        except httpx.HTTPError as exc:
            raise SimulatorError(
                f"cannot reach deskline at {self.url} ({type(exc).__name__}); is it running?"
            ) from exc
        if response.status_code >= 300:
            raise SimulatorError(
                f"deskline refused the {step.event['event']} event: HTTP "
                f"{response.status_code} {response.text[:300]}"
            )

    async def aclose(self) -> None:
        await self._client.aclose()
