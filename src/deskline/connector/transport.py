"""How requests reach a helpdesk: httpx's client over aiohttp's connections.

Connectors speak httpx (requests, auth flows, responses); the transport under the client is
``httpx-aiohttp``'s, which hands each request to an :class:`aiohttp.ClientSession`. Measured on
this project's machine against a local server (8 requests in flight, JSON bodies), httpx's own
transport (httpcore) cost 1.2-1.4 ms of CPU per request and aiohttp's 0.4-0.6: at a busy call
centre's rate the helpdesk requests were a sixth of deskline's CPU.

aiohttp's errors are httpx's here, each as precise as httpx's own transport makes it (a refused
connection is a ``ConnectError``, not a timeout; a connection closed by the server a
``RemoteProtocolError``), so the client tells a helpdesk that is down from one that is slow, and
nothing of aiohttp's escapes a request.

Helpdesk clients keep no cookies (:class:`CookielessClient`, and aiohttp's dummy jar): a
request is what its template renders, nothing an earlier answer set. Keeping them cost httpx
a cookie-jar round per response, about 1.5 % of ``serve``'s CPU in bench/.
"""

from __future__ import annotations

import functools
import ssl

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


class HelpdeskTransport(AiohttpTransport):
    """:class:`httpx_aiohttp.AiohttpTransport` with httpx's errors, keeping no cookies (see
    the module)."""

    def get_client(self) -> aiohttp.ClientSession:
        if self.client is not None or self.uds or self.local_address:
            return super().get_client()
        limit = self.limits.max_connections
        connector = aiohttp.TCPConnector(
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
            limit=limit if limit is not None else 0,  # aiohttp's 0: no limit
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.TransportError as exc:
            cause = exc.__cause__
            if isinstance(cause, aiohttp.ClientError | TimeoutError):
                raise as_httpx_error(cause, request) from cause
            raise
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise as_httpx_error(exc, request) from exc


def as_httpx_error(error: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx error httpx's own transport raises for what ``error`` says happened."""
    message = str(error) or type(error).__name__
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(error, aiohttp.SocketTimeoutError | aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(error, TimeoutError):
        return httpx.TimeoutException(message, request=request)
    if isinstance(error, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return httpx.ProxyError(message, request=request)
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message, request=request)
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(error, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(error, aiohttp.ClientOSError | aiohttp.ClientConnectionError):
        return httpx.ReadError(message, request=request)
    return httpx.TransportError(message, request=request)


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """One TLS context (certificates verified, httpx's defaults) for every helpdesk client:
    loading the trusted certificates takes tens of milliseconds, and a connector is made
    again whenever its connection's settings or tokens change."""
    return httpx.create_ssl_context()


class _NoCookies(httpx.Cookies):
    """An empty jar that stays empty: nothing is taken from answers or added to requests."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class CookielessClient(httpx.AsyncClient):
    """httpx's client without a cookie jar (see the module)."""

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: httpx._types.CookieTypes) -> None:
        raise TypeError("a helpdesk client keeps no cookies: send them as a header")


def helpdesk_http_client(timeout: float) -> httpx.AsyncClient:
    """The HTTP client of one connected helpdesk."""
    return CookielessClient(
        timeout=timeout, transport=HelpdeskTransport(verify=_verifying_context())
    )
