"""Resolving a webhook URL's connection name to what the PBX webhook routes need.

The connection is read from the database on each request (so enabling, disabling and new
secrets apply at once), its config validated by its kind's model, and its sink is the
connection's event ingestor — the same one its adapter feeds, so calls are tracked once.
"""

from __future__ import annotations

import logging

from deskline.runtime.pbx_config import InvalidConnectionConfig, validate_config
from deskline.runtime.services import Runtime
from deskline.store.repositories.pbx_connections import PbxConnectionRepository
from deskline.web.pbx_webhooks import Resolver, WebhookTarget

log = logging.getLogger(__name__)


def webhook_resolver(runtime: Runtime) -> Resolver:
    async def resolve(name: str) -> WebhookTarget | None:
        async with runtime.db.read() as session:
            view = await PbxConnectionRepository(session, runtime.box).by_name(name)
        if view is None:
            return None
        try:
            config = validate_config(view.kind, view.full_config())
        except (LookupError, InvalidConnectionConfig) as exc:
            log.warning("webhook for PBX connection %s refused: %s", name, exc)
            return None
        sink = await runtime.ingestors.get(view.name)
        return WebhookTarget(view.kind, config, sink, enabled=view.enabled)

    return resolve
