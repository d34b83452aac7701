"""An asyncio AMI client: login, actions with ActionID correlation, events, keep-alive.

:meth:`AmiClient.connect` opens one session (banner, ``Login``) and raises
:class:`~deskline.errors.PbxAuthenticationError` when the PBX refuses the credentials.
:meth:`AmiClient.run` keeps a session up: it reconnects with capped exponential backoff and
jitter, and after refused credentials it waits the full cap each time (reported in
:attr:`AmiClient.state` / :attr:`AmiClient.last_error`) instead of hammering the PBX.
A ``Ping`` every ``ping_interval_seconds`` that gets no answer within
``ping_timeout_seconds`` drops the session, and ``run`` reconnects.

Events reach ``on_frames`` in batches, in order, from a separate task, so a slow consumer
never delays the replies to actions (and pings). A consumer that raises is logged; the
stream goes on. ``on_connect`` runs when a session starts, before any of its events (the
adapter starts a fresh translator there); events read before a session ends are still
handed over before the next one starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum

from deskline.errors import PbxActionError, PbxAuthenticationError, PbxConnectionError, PbxError
from deskline.pbx.asterisk.config import AsteriskConfig
from deskline.pbx.asterisk.pending import ActionResult, PendingAction
from deskline.pbx.asterisk.protocol import BANNER_PREFIX, Frame, FrameParser, serialize_action

log = logging.getLogger(__name__)

FramesHandler = Callable[[Sequence[Frame]], Awaitable[None]]
ConnectHandler = Callable[[], Awaitable[None]]
_BATCH = 500
_ids = itertools.count(1)


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RETRYING = "retrying"
    AUTH_FAILED = "auth_failed"
    CLOSED = "closed"


class AmiClient:
    """One AMI session at a time to one Asterisk."""

    def __init__(
        self,
        config: AsteriskConfig,
        *,
        on_frames: FramesHandler,
        on_connect: ConnectHandler | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.state = ConnectionState.DISCONNECTED
        self.last_error: str | None = None
        self.banner: str | None = None
        self.sessions = 0
        self.retry_in: float | None = None
        """Seconds until the next connection attempt while :meth:`run` waits to retry."""
        self._on_frames = on_frames
        self._on_connect = on_connect
        self._rng = rng or random.Random()
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, PendingAction] = {}
        self._events: asyncio.Queue[Frame] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._lost = asyncio.Event()
        self._closing = asyncio.Event()

    @property
    def where(self) -> str:
        return f"Asterisk AMI at {self.config.host}:{self.config.port}"

    @property
    def connected(self) -> bool:
        return self.state is ConnectionState.CONNECTED

    # -- one session --------------------------------------------------------------------------

    async def connect(self) -> None:
        """Open a session and log in; raises PbxAuthenticationError / PbxConnectionError."""
        await self._teardown()
        self._lost = asyncio.Event()
        config = self.config
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(config.host, config.port), config.connect_timeout_seconds
            )
        except (OSError, TimeoutError) as exc:
            raise PbxConnectionError(f"cannot reach {self.where}: {_reason(exc)}") from exc
        self._writer = writer
        try:
            banner = await asyncio.wait_for(reader.readline(), config.connect_timeout_seconds)
        except (OSError, TimeoutError) as exc:
            await self._teardown()
            raise PbxConnectionError(f"{self.where} sent no banner: {_reason(exc)}") from exc
        text = banner.decode("utf-8", errors="replace").strip()
        if not text.startswith(BANNER_PREFIX):
            await self._teardown()
            raise PbxConnectionError(f"{self.where} did not answer like AMI (got {text[:60]!r})")
        self.banner = text
        if self._on_connect is not None:  # before any event of the new session
            await self._on_connect()
        self._tasks = [
            asyncio.create_task(self._read(reader), name="ami-reader"),
            asyncio.create_task(self._dispatch(), name="ami-dispatch"),
        ]
        await self._login()
        self.state = ConnectionState.CONNECTED
        self.last_error = None
        self.sessions += 1
        self._tasks.append(asyncio.create_task(self._keep_alive(), name="ami-ping"))

    async def _login(self) -> None:
        secret = self.config.secret.get_secret_value()
        fields = {"Username": self.config.username, "Secret": secret, "Events": "on"}
        try:
            result = await self.action("Login", fields, check=False)
        except PbxError:
            await self._teardown()
            raise
        if not result.ok:
            await self._teardown()
            raise PbxAuthenticationError(
                f"{self.where} refused the login of AMI user {self.config.username!r}: "
                f"{result.message or 'no reason given'} (check the username and secret "
                "in manager.conf)"
            )

    async def action(
        self,
        name: str,
        fields: Mapping[str, str | Sequence[str]] | None = None,
        *,
        wait_seconds: float | None = None,
        check: bool = True,
    ) -> ActionResult:
        """Send an action and wait for its response (and its list items, for list actions).

        ``check`` raises :class:`PbxActionError` for an error response.
        """
        writer = self._writer
        if writer is None or writer.is_closing():
            raise PbxConnectionError(f"not connected to {self.where}")
        action_id = f"deskline-{next(_ids)}"
        pending = PendingAction(action_id, asyncio.get_running_loop().create_future())
        self._pending[action_id] = pending
        try:
            writer.write(serialize_action(name, {"ActionID": action_id, **(fields or {})}))
            await writer.drain()
            wait = wait_seconds or self.config.action_timeout_seconds
            result = await asyncio.wait_for(pending.future, wait)
        except TimeoutError as exc:
            raise PbxConnectionError(f"{self.where} did not answer {name} in time") from exc
        except OSError as exc:
            raise PbxConnectionError(f"lost {self.where} while sending {name}: {exc}") from exc
        finally:
            self._pending.pop(action_id, None)
        if check and not result.ok:
            raise PbxActionError(f"{self.where} refused {name}: {result.message}")
        return result

    def drop(self) -> None:
        """Drop the session now (``run`` reconnects)."""
        if self._writer is not None:
            self._writer.close()
        self._lost.set()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        parser = FrameParser(source=self.where)
        parser.banner = self.banner
        try:
            while data := await reader.read(65536):
                for frame in parser.feed(data):
                    self._route(frame)
        except (OSError, asyncio.IncompleteReadError) as exc:
            log.warning("%s: read failed: %s", self.where, exc)
        parser.close()
        self._connection_lost()

    def _route(self, frame: Frame) -> None:
        action_id = frame.action_id
        pending = self._pending.get(action_id) if action_id else None
        if pending is not None and pending.take(frame):
            return
        if frame.event is not None:
            self._events.put_nowait(frame)
        elif frame.response is not None:
            log.debug("%s: response to an action no one waits for: %r", self.where, frame)
        else:
            log.warning("%s: frame that is neither event nor response: %r", self.where, frame.items)

    def _connection_lost(self) -> None:
        if self.state is ConnectionState.CONNECTED:
            self.state = ConnectionState.DISCONNECTED
        for pending in self._pending.values():
            pending.fail(PbxConnectionError(f"lost the connection to {self.where}"))
        self._lost.set()

    async def _dispatch(self) -> None:
        while True:
            batch = [await self._events.get()]
            while len(batch) < _BATCH and not self._events.empty():
                batch.append(self._events.get_nowait())
            try:
                await self._on_frames(batch)
            except Exception:  # the consumer's failure must not end the event stream
                log.exception(
                    "%s: the event consumer failed on %d frame(s)", self.where, len(batch)
                )
            finally:
                for _ in batch:
                    self._events.task_done()

    async def _keep_alive(self) -> None:
        config = self.config
        while not self._lost.is_set():
            await asyncio.sleep(config.ping_interval_seconds)
            try:
                await self.action("Ping", wait_seconds=config.ping_timeout_seconds, check=False)
            except PbxError as exc:
                log.warning("%s: no answer to Ping (%s); reconnecting", self.where, exc)
                self.drop()
                return

    async def _teardown(self) -> None:
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        dispatching = any(task.get_name() == "ami-dispatch" and not task.done() for task in tasks)
        if dispatching:  # events already read are handed over before the session goes
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._events.join(), self.config.action_timeout_seconds)
        self._tasks = []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await self._writer.wait_closed()
            self._writer = None
        for pending in self._pending.values():
            pending.fail(PbxConnectionError(f"the session with {self.where} was closed"))
        self._events = asyncio.Queue()

    # -- supervision --------------------------------------------------------------------------

    async def run(self) -> None:
        """Keep a session up until :meth:`close`; reconnect with backoff on any failure."""
        config = self.config
        delay = config.reconnect_initial_seconds
        while not self._closing.is_set():
            self.state = ConnectionState.CONNECTING
            started = time.monotonic()
            try:
                await self.connect()
                await self._lost.wait()
                if time.monotonic() - started >= delay:
                    delay = config.reconnect_initial_seconds  # it stayed up: start over
                log.warning("%s: connection lost; reconnecting", self.where)
            except PbxAuthenticationError as exc:
                self.state = ConnectionState.AUTH_FAILED
                self.last_error = str(exc)
                log.error("%s", exc)
                delay = config.reconnect_max_seconds
            except PbxError as exc:
                self.last_error = str(exc)
                log.warning("%s", exc)
            finally:
                if not self._closing.is_set():
                    await self._teardown()
            if self._closing.is_set():
                break
            if self.state is not ConnectionState.AUTH_FAILED:
                self.state = ConnectionState.RETRYING
            self.retry_in = delay * self._rng.uniform(0.5, 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.retry_in)
            self.retry_in = None
            delay = min(config.reconnect_max_seconds, delay * 2)
        self.state = ConnectionState.CLOSED

    async def close(self) -> None:
        """Log off (best effort) and stop; ``run`` returns soon after."""
        self._closing.set()
        if self.connected:
            with contextlib.suppress(PbxError):
                await self.action("Logoff", wait_seconds=1, check=False)
        await self._teardown()
        self._lost.set()
        self.state = ConnectionState.CLOSED


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
