"""Agent tokens: what an agent's browser presents to open the screen-pop WebSocket.

A token names one extension and is signed with a key derived from deskline's secret key, so it
cannot be forged or moved to another extension. The admin API issues one per binding
(helpdesk user ↔ extension); changing ``DESKLINE_SECRET_KEY`` revokes every token at once.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from deskline.crypto import derive_key

_PURPOSE = "deskline-agent-token"
_SALT = "agent-ws"


def _serializer(secret_key: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(derive_key(secret_key, _PURPOSE), salt=_SALT)


def issue_agent_token(secret_key: bytes, extension: str) -> str:
    """A signed token for the agent at ``extension``."""
    if not extension.strip():
        raise ValueError("an agent token needs an extension")
    return str(_serializer(secret_key).dumps({"ext": extension.strip()}))


def verify_agent_token(secret_key: bytes, token: str) -> str | None:
    """The extension a valid token names, or ``None`` for a forged or malformed token."""
    if not token or len(token) > 512:
        return None
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    extension = payload.get("ext")
    return extension if isinstance(extension, str) and extension else None
