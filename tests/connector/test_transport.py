"""The helpdesk's transport (httpx over aiohttp) against a real socket: answers arrive whole,
and what goes wrong on the wire is httpx's error, told apart as httpx's own transport does."""

from __future__ import annotations

import asyncio
import gc
import socket
import ssl
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from deskline.connector.client import ClientLimits, HelpdeskClient
from deskline.connector.transport import HelpdeskTransport
from deskline.errors import HelpdeskError

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def server(serve: Serve) -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 running ``serve`` for each connection; yields its URL."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await serve(reader, writer)
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listening.close()


async def _request_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def answer(status: str, body: bytes, headers: str = "") -> Serve:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _request_head(reader)
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        await reader.readexactly(length)
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}\r\n".encode() + body
        )
        await writer.drain()

    return serve


async def send(url: str, *, timeout: float = 5.0, max_bytes: int = 1 << 20) -> tuple[int, bytes]:
    client = HelpdeskClient(4, limits=ClientLimits(timeout=timeout, max_response_bytes=max_bytes))
    try:
        request = httpx.Request("POST", f"{url}/api/v2/tickets.json", json={"subject": "é \r\n"})
        response = await client.send(request, auth=None)
        return response.status, response.body
    finally:
        await client.aclose()


async def test_the_helpdesk_client_goes_through_aiohttp_and_gets_the_whole_answer() -> None:
    client, other = HelpdeskClient(1), HelpdeskClient(1)
    transport = client.http._transport
    assert isinstance(transport, HelpdeskTransport)
    assert transport.ssl_context.verify_mode is ssl.CERT_REQUIRED
    assert transport.ssl_context is other.http._transport.ssl_context
    await client.aclose()
    await other.aclose()
    body = b'{"ticket": {"id": 7, "subject": "\\u00e9"}}' * 500
    async with server(answer("201 Created", body, "Content-Type: application/json\r\n")) as url:
        assert await send(url) == (201, body)


async def test_a_refused_connection_is_not_a_timeout() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(HelpdeskError, match="cannot reach the helpdesk: ConnectError") as caught:
        await send(f"http://127.0.0.1:{port}")
    assert caught.value.outcome == "retry"


async def test_a_helpdesk_that_does_not_answer_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request_head(reader)
        await asyncio.sleep(5)

    async with server(silent) as url:
        with pytest.raises(HelpdeskError, match=r"timed out after 0.3 s \(ReadTimeout\)") as caught:
            await send(url, timeout=0.3)
    assert caught.value.outcome == "retry"


async def test_a_connection_closed_without_an_answer_is_a_protocol_error() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request_head(reader)

    async with server(hang_up) as url:
        with pytest.raises(HelpdeskError, match="RemoteProtocolError") as caught:
            await send(url)
    assert caught.value.outcome == "retry"


async def test_an_answer_cut_short_is_retried_and_an_oversized_one_refused() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        await writer.drain()

    async with server(cut) as url:
        with pytest.raises(HelpdeskError, match="connection broke") as broken:
            await send(url)
    assert broken.value.outcome == "retry"
    async with server(answer("200 OK", b"y" * 200_000)) as url:
        with pytest.raises(HelpdeskError, match="larger than 50000 bytes") as big:
            await send(url, max_bytes=50_000)
    assert big.value.outcome == "fail"


async def test_no_cookie_an_answer_sets_goes_back_to_the_helpdesk() -> None:
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not reader.at_eof():
            try:
                head = await _request_head(reader)
            except asyncio.IncompleteReadError:
                return
            heads.append(head)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                b"Set-Cookie: session=abc123; Path=/\r\n\r\n{}"
            )
            await writer.drain()

    async with server(serve) as url:
        client = HelpdeskClient(1)
        try:
            for _ in range(2):
                answer = await client.send(httpx.Request("GET", f"{url}/api/v2/users"), auth=None)
                assert answer.status == 200
        finally:
            await client.aclose()
    assert len(heads) == 2
    assert all(b"cookie:" not in head.lower() for head in heads), heads
    with pytest.raises(TypeError, match="no cookies"):
        client.http.cookies = {"session": "abc123"}


async def test_an_answer_read_is_freed_without_the_garbage_collector() -> None:
    """httpx's response and its stream refer to each other; the client lets go of the stream
    once the body is read, so the response (and aiohttp's objects behind it) goes as soon as
    it is done with, not in a collector's pass that stops the loop."""
    responses: list[weakref.ref[httpx.Response]] = []
    client = HelpdeskClient(1)
    sending = client.http.send

    async def spied(request: httpx.Request, **options: Any) -> httpx.Response:
        response = await sending(request, **options)
        responses.append(weakref.ref(response))
        return response

    client.http.send = spied  # type: ignore[method-assign]
    gc.collect()
    gc.disable()
    try:
        async with server(answer("201 Created", b'{"ticket": {"id": 7}}')) as url:
            request = httpx.Request("POST", f"{url}/api/v2/tickets.json", json={"s": "x"})
            answered = await client.send(request, auth=None)
            assert answered.status == 201 and answered.body == b'{"ticket": {"id": 7}}'
            del answered
        (response,) = responses
        assert response() is None
    finally:
        gc.enable()
        await client.aclose()
