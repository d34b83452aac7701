"""Fixtures of the connector tests: the generic helpdesk served for real, and a transport that
sends every template host (``acme.acmedesk.example``, ``listdesk.example``…) to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from deskline.templates.model import HelpdeskTemplate
from deskline.templates.validation import load_valid_template
from tests.fakes.generic_helpdesk import GenericHelpdesk, RunningHelpdesk, running_helpdesk

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
REDIRECT_URI = "http://127.0.0.1:8000/oauth/callback"
ACME_FIELDS = {"subdomain": "acme", "client_id": "deskline", "client_secret": "client-secret-9"}
LISTDESK_FIELDS = {"domain": "listdesk.example", "api_key": "key-123"}


class ToEmulator(httpx.AsyncBaseTransport):
    """Sends every request to the emulator over real HTTP, keeping the original Host header."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def load_example(name: str) -> HelpdeskTemplate:
    path = EXAMPLES / name
    return load_valid_template(path.read_bytes(), str(path))


def template_from(text: str) -> HelpdeskTemplate:
    return load_valid_template(text, "test-template.xml")


@pytest.fixture(scope="module")
def helpdesk_server() -> Iterator[RunningHelpdesk]:
    with running_helpdesk() as running:
        yield running


@pytest.fixture
def desk(helpdesk_server: RunningHelpdesk) -> GenericHelpdesk:
    helpdesk_server.desk.reset()
    return helpdesk_server.desk


@pytest.fixture
async def http_client(
    helpdesk_server: RunningHelpdesk, desk: GenericHelpdesk
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=ToEmulator(helpdesk_server.port)) as client:
        yield client
