"""The adapter against a fake Asterisk over a real TCP socket on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest

from deskline.calls.events import CallEvent
from deskline.calls.model import CallStatus
from deskline.calls.tracker import CallTracker
from deskline.errors import (
    PbxActionError,
    PbxAuthenticationError,
    PbxConnectionError,
    StorageError,
)
from deskline.pbx.asterisk import AsteriskAdapter, AsteriskConfig
from deskline.pbx.asterisk.client import AmiClient, ConnectionState
from deskline.pbx.base import PbxAdapter, build_adapter
from tests.fakes.ami_server import FakeAmiServer, capture_chunks, wire

FAST = {
    "ping_interval_seconds": 0.05,
    "ping_timeout_seconds": 0.1,
    "action_timeout_seconds": 1,
    "connect_timeout_seconds": 1,
    "reconnect_initial_seconds": 0.01,
    "reconnect_max_seconds": 0.05,
    "originate_channel": "Local/{extension}@agents/n",
    "originate_context": "outbound",
}


def config(server: FakeAmiServer, **overrides: Any) -> AsteriskConfig:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port,
        "username": "helpdesk",
        "secret": "helpdesk-secret",
        **FAST,
        **overrides,
    }
    return AsteriskConfig(**fields)


class Sink:
    """Stands in for the storing EventSink: keeps every batch it was given."""

    def __init__(self) -> None:
        self.events: list[CallEvent] = []

    async def __call__(self, events: Sequence[CallEvent]) -> None:
        self.events.extend(events)

    def calls(self) -> dict[str, CallStatus | None]:
        tracker = CallTracker()
        for event in self.events:
            tracker.apply(event)
        return {u.call.call_id: u.call.status for u in tracker.finalise_all()}


async def eventually(check: Callable[[], bool], *, seconds: float = 3.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running(adapter: AsteriskAdapter, sink: Sink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(adapter.run(sink))
    try:
        yield task
    finally:
        await adapter.close()
        async with asyncio.timeout(3):
            await task


async def test_the_adapter_is_registered_and_builds_from_stored_config() -> None:
    async with FakeAmiServer() as server:
        stored = config(server).model_dump(mode="json") | {"secret": "s3cr3t-value"}
        adapter = build_adapter("asterisk", stored)
        assert isinstance(adapter, AsteriskAdapter)
        assert isinstance(adapter, PbxAdapter)
        assert adapter.config.secret.get_secret_value() == "s3cr3t-value"
        assert "s3cr3t-value" not in repr(adapter.config) + repr(adapter)


async def test_login_then_the_calls_of_a_capture_reach_the_sink() -> None:
    sink = Sink()
    async with FakeAmiServer(playlists=["02_queue_answered.txt"]) as server:
        adapter = AsteriskAdapter(config(server))
        async with running(adapter, sink):
            await eventually(lambda: any(e.kind == "call.hungup" for e in sink.events))
            assert adapter.state is ConnectionState.CONNECTED
    assert server.logins == 1
    assert server.action_names[0] == "Login"
    assert sink.calls() == {"1795286116.4": CallStatus.ANSWERED}
    assert "Logoff" in server.action_names


async def test_bad_credentials_raise_a_clear_authentication_error() -> None:
    async with FakeAmiServer() as server:
        client = AmiClient(config(server, secret="wrong"), on_frames=_ignore)
        with pytest.raises(PbxAuthenticationError) as raised:
            await client.connect()
    message = str(raised.value)
    assert "refused the login" in message and "'helpdesk'" in message
    assert "Authentication failed" in message
    assert "wrong" not in message


async def test_bad_credentials_back_off_to_the_cap_and_are_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeAmiServer() as server:
        settings = config(server, secret="wrong", reconnect_initial_seconds=0.01)
        adapter = AsteriskAdapter(settings.model_copy(update={"reconnect_max_seconds": 5}))
        async with running(adapter, Sink()):
            await eventually(lambda: adapter.client.retry_in is not None)
            assert adapter.state is ConnectionState.AUTH_FAILED
            assert 2.5 <= (adapter.client.retry_in or 0) <= 5  # straight to the cap, with jitter
            assert server.failed_logins == 1
            assert adapter.client.last_error is not None
            assert "refused the login" in adapter.client.last_error
    assert any(
        "refused the login" in r.message for r in caplog.records if r.levelno >= logging.ERROR
    )


async def test_an_unreachable_pbx_is_retried_with_a_short_first_backoff() -> None:
    async with FakeAmiServer() as server:
        port = server.port
    settings = config(server, port=port, reconnect_initial_seconds=0.2, reconnect_max_seconds=5)
    adapter = AsteriskAdapter(settings)
    async with running(adapter, Sink()):
        await eventually(lambda: adapter.client.retry_in is not None)
        assert adapter.state is ConnectionState.RETRYING
        assert 0.1 <= (adapter.client.retry_in or 0) <= 0.2
        assert "cannot reach" in (adapter.client.last_error or "")


async def test_a_server_that_is_not_ami_is_reported() -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        settings = AsteriskConfig(username="helpdesk", secret="s", port=port, **FAST)
        client = AmiClient(settings, on_frames=_ignore)
        with pytest.raises(PbxConnectionError, match="did not answer like AMI"):
            await client.connect()
    finally:
        server.close()
        await server.wait_closed()


async def test_garbage_and_cut_off_frames_are_skipped_and_the_stream_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = Sink()
    async with FakeAmiServer() as server:
        adapter = AsteriskAdapter(config(server))
        async with running(adapter, sink):
            await eventually(lambda: adapter.state is ConnectionState.CONNECTED)
            await server.send(b"this is no AMI line\r\n\x00\xff\xfe garbage\r\n\r\n")
            # a frame that lost its end, cut off by the next frame's Event line
            await server.send(b"Event: Hangup\r\nChannel: Local/2005@agents-0000\r\n")
            await server.play("03_no_answer.txt")
            await eventually(lambda: any(e.kind == "call.hungup" for e in sink.events))
            assert adapter.state is ConnectionState.CONNECTED
            pong = await adapter.client.action("Ping")
            assert pong.response.value("Ping") == "Pong"
    assert server.connections == 1
    assert sink.calls() == {"1795286128.10": CallStatus.NO_ANSWER}
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "this is no AMI line" in logged
    assert "frame dropped" in logged and "Event: Hangup" in logged


async def test_a_dropped_connection_reconnects_and_continues() -> None:
    sink = Sink()
    playlists = ["01_direct_answered.txt", "04_busy.txt"]
    async with FakeAmiServer(playlists=playlists) as server:
        adapter = AsteriskAdapter(config(server))
        async with running(adapter, sink):
            await eventually(lambda: "1795286098.0" in sink.calls())
            await server.drop_clients()
            await eventually(lambda: server.logins == 2)
            await eventually(lambda: "1795286136.14" in sink.calls())
            await eventually(lambda: adapter.client.sessions == 2)
    assert sink.calls() == {"1795286098.0": CallStatus.ANSWERED, "1795286136.14": CallStatus.BUSY}


async def test_pings_keep_the_session_and_a_missing_pong_reconnects() -> None:
    async with FakeAmiServer() as server:
        adapter = AsteriskAdapter(config(server))
        async with running(adapter, Sink()):
            await eventually(lambda: server.action_names.count("Ping") >= 3)
            assert server.connections == 1
            server.answer_pings = False
            await eventually(lambda: server.connections >= 2)
            server.answer_pings = True
            await eventually(lambda: adapter.state is ConnectionState.CONNECTED)


async def test_originate_sends_the_click_to_call_action_and_reports_the_outcome() -> None:
    async with FakeAmiServer() as server:
        adapter = AsteriskAdapter(config(server))
        async with running(adapter, Sink()):
            await eventually(lambda: adapter.state is ConnectionState.CONNECTED)
            result = await adapter.originate(
                "2009", "+1 555-123-4567", variables={"HD_TICKET": "42"}
            )
            outcome = await adapter.originate_outcome(result.details["action_id"], 2)
    sent = server.actions[-2] if server.actions[-1]["action"] == ["Logoff"] else server.actions[-1]
    assert sent["action"] == ["Originate"]
    assert sent["channel"] == ["Local/2009@agents/n"]
    assert sent["context"] == ["outbound"]
    assert sent["exten"] == ["+15551234567"]
    assert sent["priority"] == ["1"]
    assert sent["async"] == ["true"]
    assert sent["variable"] == ["HD_TICKET=42"]
    assert result.accepted and result.message == "Originate successfully queued"
    assert outcome.success and outcome.reason == "answered"
    assert outcome.call_id == "1795286238.46"


async def test_a_failed_click_to_call_is_logged_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeAmiServer(originate_outcome="Failure") as server:
        adapter = AsteriskAdapter(config(server))
        async with running(adapter, Sink()):
            await eventually(lambda: adapter.state is ConnectionState.CONNECTED)
            result = await adapter.originate("2007", "5551234567")
            outcome = await adapter.originate_outcome(result.details["action_id"], 2)
    assert result.accepted
    assert not outcome.success and outcome.call_id is None
    assert any("did not connect" in r.getMessage() for r in caplog.records)


async def test_originate_refuses_bad_input_and_needs_a_connection() -> None:
    async with FakeAmiServer() as server:
        adapter = AsteriskAdapter(config(server))
        with pytest.raises(PbxConnectionError, match="not connected"):
            await adapter.originate("2009", "5551234567")
        with pytest.raises(PbxActionError, match="not an extension"):
            await adapter.originate("20a9", "5551234567")
        with pytest.raises(PbxActionError, match="not a number that can be dialled"):
            await adapter.originate("2009", "555\r\nAction: Hangup")
        with pytest.raises(PbxActionError, match="variable name"):
            await adapter.originate("2009", "5551234567", variables={"BAD NAME": "1"})


async def test_list_actions_return_their_items() -> None:
    async with FakeAmiServer() as server:
        client = AmiClient(config(server), on_frames=_ignore)
        await client.connect()
        try:
            channels = await client.action("CoreShowChannels")
            queue = await client.action("QueueStatus")
            output = await client.action("Command", {"Command": "core show version"})
            with pytest.raises(PbxActionError, match="Invalid/unknown command"):
                await client.action("NoSuchAction")
        finally:
            await client.close()
    assert [f.event for f in channels.items] == ["CoreShowChannel"] * 4
    assert channels.complete is not None and channels.complete.value("ListItems") == "4"
    assert [f.event for f in queue.items] == [
        "QueueParams",
        "QueueMember",
        "QueueMember",
        "QueueEntry",
    ]
    assert output.response.get_all("Output")[0].startswith("Asterisk 22.10.1")


async def test_a_consumer_that_fails_does_not_stop_the_stream() -> None:
    seen: list[str] = []

    async def flaky(frames: Sequence[Any]) -> None:
        seen.extend(f.event for f in frames)
        if len(seen) < 3:
            raise RuntimeError("database down")

    async with FakeAmiServer() as server:
        client = AmiClient(config(server), on_frames=flaky)
        await client.connect()
        try:
            for chunk in capture_chunks("04_busy.txt"):
                if chunk.startswith("Event:"):
                    await server.send(wire(chunk))
            await eventually(lambda: "Hangup" in seen)
            assert (await client.action("Ping")).ok
        finally:
            await client.close()


def _ignore(frames: Sequence[Any]) -> Awaitable[None]:
    return asyncio.sleep(0)


async def test_events_wait_for_a_database_outage_and_none_are_lost() -> None:
    """While storing fails with StorageError, events are kept and stored once it recovers;
    the AMI session stays up meanwhile (pings keep being answered)."""
    reference = Sink()
    async with FakeAmiServer(playlists=["02_queue_answered.txt"]) as server:
        adapter = AsteriskAdapter(config(server))
        async with running(adapter, reference):
            await eventually(lambda: any(e.kind == "call.hungup" for e in reference.events))

    failures = {"left": 4}

    class OutageSink(Sink):
        async def __call__(self, events: Sequence[CallEvent]) -> None:
            if failures["left"] > 0:
                failures["left"] -= 1
                raise StorageError("database is restarting")
            await super().__call__(events)

    sink = OutageSink()
    async with FakeAmiServer(playlists=["02_queue_answered.txt"]) as server:
        adapter = AsteriskAdapter(config(server), sink_retry_seconds=0.01)
        async with running(adapter, sink):
            await eventually(lambda: len(sink.events) == len(reference.events), seconds=5)
            assert adapter.state is ConnectionState.CONNECTED
        assert server.logins == 1
    assert failures["left"] == 0
    assert [e.key for e in sink.events] == [e.key for e in reference.events]
    assert sink.calls() == {"1795286116.4": CallStatus.ANSWERED}
