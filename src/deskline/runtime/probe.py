"""The "test this connection" check: connect to the PBX and authenticate once, with a clear answer.

An adapter may offer ``async test_connection() -> str`` itself; otherwise the probe uses what
the bundled adapters expose: an AMI client's ``connect`` (login included), a P-Series API's
token manager (``get`` logs in with the client id and secret). A kind that only receives
webhooks has nothing to connect to, which is said as such.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from deskline.errors import PbxAuthenticationError, PbxError
from deskline.pbx.base import PbxAdapter, build_adapter


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "message": self.message}


async def probe_connection(
    kind: str, config: dict[str, Any], wait_seconds: float = 15.0
) -> ProbeResult:
    """Try the connection described by ``kind`` and its full (validated) config."""
    adapter = build_adapter(kind, config)
    try:
        async with asyncio.timeout(wait_seconds):
            message = await _check(adapter)
        return ProbeResult(True, message)
    except PbxAuthenticationError as exc:
        return ProbeResult(False, f"the PBX refused the credentials: {exc}")
    except PbxError as exc:
        return ProbeResult(False, str(exc))
    except TimeoutError:
        return ProbeResult(False, f"the PBX did not answer within {wait_seconds:g} s")
    except OSError as exc:
        return ProbeResult(False, f"cannot reach the PBX: {exc}")
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(adapter.close(), 5)


async def _check(adapter: PbxAdapter) -> str:
    own_test = getattr(adapter, "test_connection", None)
    if callable(own_test):
        return str(await cast(Callable[[], Awaitable[object]], own_test)())
    client = getattr(adapter, "client", None)
    connect = getattr(client, "connect", None)
    if callable(connect):
        await cast(Callable[[], Awaitable[None]], connect)()
        where = getattr(client, "where", "the PBX")
        return f"connected and logged in to {where}"
    tokens = getattr(getattr(adapter, "api", None), "tokens", None)
    get_token = getattr(tokens, "get", None)
    if callable(get_token):
        await cast(Callable[[], Awaitable[str]], get_token)()
        return "the PBX accepted the client id and secret (access token received)"
    return "nothing to connect to: this PBX sends its events to deskline's webhook"
