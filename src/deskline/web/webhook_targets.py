"""Resolving a webhook URL's connection name to what the PBX webhook routes need.

The connection's version (id, ``updated_at``) is read from the database when this process or,
within ``DESKLINE_READ_CACHE_SECONDS``, another one has changed the PBX connections, so
enabling, disabling and new secrets apply at once; its decrypted, validated config is kept
until that version changes (decrypting and validating on every event was a large part of the
ring-to-pop time). Its sink is the connection's event ingestor — the same one its adapter
feeds, so calls are tracked once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from deskline.runtime.pbx_config import InvalidConnectionConfig, validate_config
from deskline.runtime.services import Runtime
from deskline.store.changes import ReadCache
from deskline.store.repositories.pbx_connections import (
    PbxConnectionRepository,
    PbxConnectionView,
)
from deskline.web.pbx_webhooks import Resolver, WebhookTarget

log = logging.getLogger(__name__)

_MAX_CACHED = 256


@dataclass(frozen=True)
class _Resolved:
    version: tuple[int, datetime]
    kind: str
    config: BaseModel
    enabled: bool


def webhook_resolver(runtime: Runtime) -> Resolver:
    cache: dict[str, _Resolved] = {}
    versions: ReadCache[str, tuple[int, datetime] | None] = runtime.db.read_cache(
        {"pbx_connections"}, max_entries=_MAX_CACHED
    )

    async def resolve(name: str) -> WebhookTarget | None:
        known = cache.get(name)
        if known is None or versions.get(name) != known.version:  # else: no session needed
            known = await reload(name)
            if known is None:
                return None
        sink = await runtime.ingestors.get(name)
        return WebhookTarget(known.kind, known.config, sink, enabled=known.enabled)

    async def reload(name: str) -> _Resolved | None:
        async with runtime.db.read() as session:
            repository = PbxConnectionRepository(session, runtime.box)
            version = await versions.read_through(
                session, name, lambda: repository.version_by_name(name)
            )
            known = cache.get(name)
            if version is None:
                cache.pop(name, None)
                return None
            if known is None or known.version != version:
                known = _validated(name, await repository.by_name(name))
                if known is None:
                    cache.pop(name, None)
                    return None
                if len(cache) >= _MAX_CACHED:
                    cache.clear()
                cache[name] = known
            return known

    return resolve


def _validated(name: str, view: PbxConnectionView | None) -> _Resolved | None:
    if view is None:
        return None
    try:
        config = validate_config(view.kind, view.full_config())
    except (LookupError, InvalidConnectionConfig) as exc:
        log.warning("webhook for PBX connection %s refused: %s", name, exc)
        return None
    return _Resolved((view.id, view.updated_at), view.kind, config, view.enabled)
