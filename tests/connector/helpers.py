"""Shared helpers of the connector tests: authorizing against the emulator, reading requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from deskline.connector import Connector, MemoryTokenStore, TokenStore, code_from_redirect
from deskline.templates.model import HelpdeskTemplate
from tests.connector.conftest import REDIRECT_URI
from tests.fakes.generic_helpdesk import Recorded

#: headers httpx adds by itself; every other header must come from the template or the auth
TRANSPORT_HEADERS = frozenset(
    {"host", "accept-encoding", "connection", "user-agent", "content-length"}
)


async def authorized(
    template: HelpdeskTemplate,
    fields: Mapping[str, str],
    http_client: httpx.AsyncClient,
    store: TokenStore | None = None,
    **options: Any,
) -> Connector:
    """A connector that went through the OAuth2 authorization-code flow with the emulator."""
    connector = Connector(
        template, fields, store or MemoryTokenStore(), http_client=http_client, **options
    )
    request = connector.authorize_url(REDIRECT_URI)
    consent = await http_client.get(request.url)
    code = code_from_redirect(consent.headers["location"], request.state)
    await connector.exchange_code(code, REDIRECT_URI, request.code_verifier)
    return connector


def received(request: Recorded) -> dict[str, Any]:
    """What a test compares: method, path, query, the non-transport headers, and the body."""
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "headers": {k: v for k, v in request.headers.items() if k not in TRANSPORT_HEADERS},
        "body": request.body,
    }
