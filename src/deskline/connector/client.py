"""The HTTP client of one connected helpdesk: concurrency limit, timeouts, size cap, redirects.

At most ``MaxConcurrentRequest`` requests are in flight at once (a semaphore around each
request, auth retries included); a response body larger than the cap is refused; a redirect is
followed only to the same scheme, host and port, so credentials never travel to another host.

With a :class:`~deskline.budget.RequestBudget`, each request (and each redirect hop) is granted
by the budget before it is sent, at the priority given or set by
:func:`~deskline.budget.request_priority`; every answer's rate-limit headers and 429s are fed
back to it. A budget with no room raises :class:`~deskline.budget.BudgetExhausted` (nothing
sent). The network time of each request is observed in ``deskline_helpdesk_request_seconds``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from deskline.budget import (
    Priority,
    RequestBudget,
    current_max_wait,
    current_priority,
    parse_feedback,
)
from deskline.connector.transport import helpdesk_http_client
from deskline.errors import HelpdeskError
from deskline.observability.metrics import HELPDESK_REQUEST_SECONDS

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CLOSED = httpx.ByteStream(b"")
"""What a read response's stream becomes (see :meth:`HelpdeskClient._read`)."""


@dataclass(frozen=True)
class ClientLimits:
    timeout: float = 15.0
    max_response_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True)
class RawResponse:
    """A response with its whole (capped) body, and how long the request took."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str
    duration: float


def same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


class HelpdeskClient:
    """Sends requests to one helpdesk; owns the httpx client unless one is given."""

    def __init__(
        self,
        max_concurrent: int,
        http_client: httpx.AsyncClient | None = None,
        limits: ClientLimits | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        self.limits = limits or ClientLimits()
        self.budget = budget
        self._owned = http_client is None
        self.http = http_client or helpdesk_http_client(self.limits.timeout)
        self.max_concurrent = max(1, max_concurrent)
        self._semaphore = asyncio.Semaphore(self.max_concurrent)

    async def aclose(self) -> None:
        if self._owned:
            await self.http.aclose()

    async def send(
        self,
        request: httpx.Request,
        *,
        auth: httpx.Auth | None,
        priority: Priority | None = None,
    ) -> RawResponse:
        """Sends ``request`` (with ``auth``'s flow); raises :class:`HelpdeskError` with outcome
        ``retry`` for a connection error or timeout, ``fail`` for a refused redirect or an
        oversized body, and ``BudgetExhausted`` when the budget has no room in time."""
        priority = current_priority() if priority is None else priority
        if self.budget is not None:
            await self.budget.acquire(priority, max_wait=current_max_wait())
        started = time.monotonic()
        async with self._semaphore:
            for hop in range(self.limits.max_redirects + 1):
                if hop and self.budget is not None:
                    await self.budget.acquire(priority, max_wait=current_max_wait())
                response = await self._send_once(request, auth)
                await self._learn(response)
                location = response.headers.get("location")
                if response.status_code not in _REDIRECTS or not location:
                    body = await self._read(response)
                    HELPDESK_REQUEST_SECONDS.observe(time.monotonic() - started)
                    return RawResponse(
                        response.status_code,
                        response.headers,
                        body,
                        str(request.url),
                        time.monotonic() - started,
                    )
                await response.aclose()
                request = self._redirected(request, response.status_code, location)
        raise HelpdeskError(f"more than {self.limits.max_redirects} redirects", outcome="fail")

    async def _learn(self, response: httpx.Response) -> None:
        """Tell the budget what the helpdesk said about its rate limit."""
        if self.budget is None:
            return
        feedback = parse_feedback(response.status_code, response.headers, time.time())
        if not feedback.empty:
            await self.budget.learn(feedback)

    async def _send_once(self, request: httpx.Request, auth: httpx.Auth | None) -> httpx.Response:
        request.extensions["timeout"] = httpx.Timeout(self.limits.timeout).as_dict()
        try:
            if auth is None:
                return await self.http.send(request, stream=True, follow_redirects=False)
            return await self.http.send(request, auth=auth, stream=True, follow_redirects=False)
        except httpx.TimeoutException as exc:
            raise HelpdeskError(
                f"timed out after {self.limits.timeout:g} s ({type(exc).__name__})",
                outcome="retry",
            ) from None
        except httpx.TransportError as exc:
            raise HelpdeskError(
                f"cannot reach the helpdesk: {type(exc).__name__}: {exc}", outcome="retry"
            ) from None

    async def _read(self, response: httpx.Response) -> bytes:
        try:
            try:
                body = response.content  # already read (by an auth flow, or a mock)
            except httpx.ResponseNotRead:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    self._check_size(size, response)
                    chunks.append(chunk)
                return b"".join(chunks)
            self._check_size(len(body), response)
            return body
        except httpx.TransportError as exc:
            raise HelpdeskError(
                f"the connection broke while reading the response: {exc}", outcome="retry"
            ) from None
        finally:
            await response.aclose()
            # httpx's response and its stream refer to each other: with the stream dropped,
            # the response (and the driver's objects behind it) is freed as soon as it is
            # done with, not left to the garbage collector
            response.stream = _CLOSED

    def _check_size(self, size: int, response: httpx.Response) -> None:
        if size > self.limits.max_response_bytes:
            raise HelpdeskError(
                f"the response is larger than {self.limits.max_response_bytes} bytes",
                outcome="fail",
                status_code=response.status_code,
            )

    def _redirected(self, request: httpx.Request, status: int, location: str) -> httpx.Request:
        target = request.url.join(location)
        if not same_origin(request.url, target):
            raise HelpdeskError(
                f"the helpdesk redirected to another host ({target.scheme}://{target.host}); "
                "deskline does not send credentials there",
                outcome="fail",
                status_code=status,
            )
        method = request.method
        content: bytes | None = request.content
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, content = "GET", None
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
        if content is None:
            headers = [
                (k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")
            ]
        return httpx.Request(method, target, headers=headers, content=content)
