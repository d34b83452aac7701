"""The built-in simulator connection (kind ``simulator``): the webhook's schema and token auth."""

from __future__ import annotations

from pydantic import Field, SecretStr

from deskline.pbx.webhook.config import WebhookConfig

SIMULATOR_CONNECTION = "simulator"
"""The name of the built-in connection ``deskline simulate`` posts to."""


class SimulatorConfig(WebhookConfig):
    """Like the generic webhook, with a token always; plus how click-to-call calls behave."""

    token: SecretStr = Field(description="Sent by `deskline simulate` as a bearer token.")
    answer_after: float = Field(
        default=3.0, ge=0, description="Click-to-call: seconds until the number answers."
    )
    talk: float = Field(default=10.0, ge=0, description="Click-to-call: seconds of talk.")
    speed: float = Field(default=1.0, gt=0, description="Click-to-call: time factor.")
