"""The generic JSON webhook for any PBX (kind ``webhook``); importing it registers the kind."""

from deskline.pbx.webhook.adapter import WebhookAdapter
from deskline.pbx.webhook.config import WebhookConfig

__all__ = ["WebhookAdapter", "WebhookConfig"]
