"""A fake Asterisk Manager Interface: an asyncio TCP server on 127.0.0.1 that speaks the
traffic of the reference captures.

- sends the banner, checks ``Login`` against its credentials and answers with the captured
  success (``01``) or the captured failure (``11``) followed by closing the connection;
- answers ``Ping``, ``Originate`` (``09``: the queued response, then an ``OriginateResponse``
  event), ``Hangup`` (``06``), ``Logoff`` and the actions of ``10_action_responses`` with the
  captured response shapes (the ActionID replaced by the client's);
- plays the events of a capture to its clients (:meth:`FakeAmiServer.play`, or one capture
  per new session with ``playlists``), injects raw bytes (garbage, cut-off frames) and drops
  connections.

It reads actions with its own tiny reader, independent of deskline's parser.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field

from tests.conftest import AMI_CAPTURES

_SEPARATOR = re.compile(r"^### t\+[\d.]+s$", re.MULTILINE)
_CAPTURED_ACTIONS = {
    "Ping": "a-ping",
    "CoreShowChannels": "a-csc",
    "QueueStatus": "a-qs",
    "QueueSummary": "a-qsum",
    "Status": "a-status",
    "QueueAdd": "a-qadd",
    "QueuePause": "a-qpause",
    "QueueRemove": "a-qrem",
    "Command": "a-cmd",
    "Getvar": "a-getvar",
}


def capture_chunks(name: str) -> list[str]:
    """The frames of a capture as text (no banner, no separators, no comments)."""
    text = (AMI_CAPTURES / name).read_text()
    chunks = []
    for part in _SEPARATOR.split(text):
        lines = [
            line
            for line in part.strip("\n").split("\n")
            if not line.startswith(("#", "Asterisk Call Manager/"))
        ]
        body = "\n".join(lines).strip("\n")
        if body:
            chunks.append(body)
    return chunks


def wire(chunk: str) -> bytes:
    """A frame as Asterisk sends it: ``\\r\\n`` line ends and a blank line."""
    return (chunk.replace("\n", "\r\n") + "\r\n\r\n").encode()


def with_action_id(chunk: str, action_id: str) -> str:
    return re.sub(r"^ActionID: .*$", f"ActionID: {action_id}", chunk, flags=re.MULTILINE)


def capture_wire(name: str) -> bytes:
    """A capture turned into a plain AMI byte dump (banner included)."""
    return b"Asterisk Call Manager/11.0.0\r\n" + b"".join(wire(c) for c in capture_chunks(name))


def _first(chunks: list[str], prefix: str) -> str:
    return next(chunk for chunk in chunks if chunk.startswith(prefix))


def _by_action_id(chunks: list[str], action_id: str) -> list[str]:
    return [c for c in chunks if re.search(rf"^ActionID: {re.escape(action_id)}$", c, re.M)]


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    logged_in: bool = False


@dataclass
class FakeAmiServer:
    username: str = "helpdesk"
    secret: str = "helpdesk-secret"
    answer_pings: bool = True
    originate_outcome: str | None = "Success"
    playlists: list[str] = field(default_factory=list)
    """Capture played to the n-th successful session right after its login."""

    port: int = 0
    actions: list[dict[str, list[str]]] = field(default_factory=list)
    connections: int = 0
    logins: int = 0
    failed_logins: int = 0

    def __post_init__(self) -> None:
        self._clients: set[_Client] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        login = capture_chunks("01_direct_answered.txt")
        self._login_ok = [login[0], _first(login, "Event: FullyBooted")]
        self._login_failed = capture_chunks("11_login_failure.txt")[0]
        c2c = capture_chunks("09_click_to_call_outbound.txt")
        self._originate_queued = _by_action_id(c2c, "c2c-1")[0]
        self._originate_success = _first(c2c, "Event: OriginateResponse")
        self._originate_failure = _first(
            capture_chunks("03_no_answer.txt"), "Event: OriginateResponse"
        )
        self._hangup = _by_action_id(capture_chunks("06_caller_hangup_midcall.txt"), "hup-1")
        actions = capture_chunks("10_action_responses.txt")
        self._captured = {
            name: _by_action_id(actions, aid) for name, aid in _CAPTURED_ACTIONS.items()
        }

    async def __aenter__(self) -> FakeAmiServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.drop_clients()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def action_names(self) -> list[str]:
        return [action["action"][0] for action in self.actions]

    async def send(self, data: bytes) -> None:
        """Raw bytes to every logged-in client (garbage, cut-off frames…)."""
        for client in list(self._clients):
            if client.logged_in:
                client.writer.write(data)
                with contextlib.suppress(ConnectionError):
                    await client.writer.drain()

    async def play(self, capture: str) -> None:
        """The events of a capture to every logged-in client, as fast as possible."""
        events = [c for c in capture_chunks(capture) if c.startswith("Event:")]
        await self.send(b"".join(wire(c) for c in events))

    async def drop_clients(self) -> None:
        for client in list(self._clients):
            client.writer.close()
        self._clients.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        client = _Client(writer)
        self._clients.add(client)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        try:
            while (action := await _read_action(reader)) is not None:
                self.actions.append(action)
                await self._answer(client, action)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(client)
            writer.close()

    async def _answer(self, client: _Client, action: dict[str, list[str]]) -> None:
        name = action["action"][0]
        action_id = action.get("actionid", [""])[0]
        writer = client.writer
        if name == "Login":
            if action.get("username") == [self.username] and action.get("secret") == [self.secret]:
                writer.write(b"".join(wire(with_action_id(c, action_id)) for c in self._login_ok))
                client.logged_in = True
                if self.logins < len(self.playlists):
                    self._later(self.play(self.playlists[self.logins]))
                self.logins += 1
            else:
                self.failed_logins += 1
                writer.write(wire(with_action_id(self._login_failed, action_id)))
                await writer.drain()
                writer.close()
                return
        elif not client.logged_in:
            writer.write(
                wire(f"Response: Error\nActionID: {action_id}\nMessage: Permission denied")
            )
        elif name == "Logoff":
            writer.write(
                wire(f"Response: Goodbye\nActionID: {action_id}\nMessage: Thanks for all the fish.")
            )
            await writer.drain()
            writer.close()
            return
        elif name == "Ping" and not self.answer_pings:
            return
        elif name == "Originate":
            writer.write(wire(with_action_id(self._originate_queued, action_id)))
            if self.originate_outcome is not None:
                self._later(self._originate_response(action_id))
        elif name == "Hangup":
            writer.write(b"".join(wire(with_action_id(c, action_id)) for c in self._hangup))
        elif name in self._captured:
            writer.write(b"".join(wire(with_action_id(c, action_id)) for c in self._captured[name]))
        else:
            writer.write(
                wire(f"Response: Error\nActionID: {action_id}\nMessage: Invalid/unknown command")
            )
        await writer.drain()

    async def _originate_response(self, action_id: str) -> None:
        await asyncio.sleep(0.01)
        chunk = (
            self._originate_success
            if self.originate_outcome == "Success"
            else self._originate_failure
        )
        await self.send(wire(with_action_id(chunk, action_id)))

    def _later(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _read_action(reader: asyncio.StreamReader) -> dict[str, list[str]] | None:
    """One action frame as {lower-case key: [values]}; None when the client went away."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    fields: dict[str, list[str]] = {}
    for line in raw.decode().split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep:
            fields.setdefault(key.lower(), []).append(value)
    return fields if "action" in fields else {"action": ["<none>"], **fields}


__all__ = ["FakeAmiServer", "capture_chunks", "capture_wire", "wire", "with_action_id"]
