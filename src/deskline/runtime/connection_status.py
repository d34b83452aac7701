"""What a PBX connection is doing, as the admin sees it on the connection row.

The supervisor knows whether an adapter's task is running, crashed or refused; while it runs,
:func:`observed_status` asks the adapter itself where its session is, through what adapters
commonly expose (an AMI-style ``state``, a WebSocket ``subscription``) — an adapter that
exposes nothing (webhook kinds) is "connected" as soon as it runs.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

from deskline.pbx.base import PbxAdapter


class ConnectionStatus(StrEnum):
    NEW = "new"  # stored, never started
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RETRYING = "retrying"  # failed; the supervisor starts it again after a pause
    AUTH_FAILED = "auth_failed"  # the PBX refused the credentials
    INVALID_CONFIG = "invalid_config"  # the stored config does not validate: not started
    DISABLED = "disabled"
    STOPPED = "stopped"  # deskline itself is shutting down


Observed = tuple[ConnectionStatus, str | None]

_STATE_MAP = {
    "connected": ConnectionStatus.CONNECTED,
    "connecting": ConnectionStatus.CONNECTING,
    "disconnected": ConnectionStatus.CONNECTING,
    "retrying": ConnectionStatus.RETRYING,
    "auth_failed": ConnectionStatus.AUTH_FAILED,
}

PUSHED_EVENTS_DETAIL = "waiting for events pushed to the webhook"


def observed_status(adapter: PbxAdapter) -> Observed:
    """Where a running adapter's session is, with a short detail for the admin."""
    state = getattr(adapter, "state", None)
    if isinstance(state, str) and state in _STATE_MAP:
        client = getattr(adapter, "client", None)
        error = getattr(client, "last_error", None)
        status = _STATE_MAP[state]
        detail = str(error) if error and status is not ConnectionStatus.CONNECTED else None
        return status, detail
    subscription = getattr(adapter, "subscription", None)
    subscribed = getattr(subscription, "subscribed", None)
    if isinstance(subscribed, asyncio.Event):
        if subscribed.is_set():
            return ConnectionStatus.CONNECTED, "subscribed to call events"
        return ConnectionStatus.CONNECTING, None
    return ConnectionStatus.CONNECTED, PUSHED_EVENTS_DETAIL
