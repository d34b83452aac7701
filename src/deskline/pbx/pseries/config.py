"""How deskline reaches one P-Series PBX: its Open API credentials and event transport."""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from deskline.config_types import RegionCode, TimeZoneName

DEFAULT_TOPICS: tuple[int, ...] = (30011, 30012, 30013, 30014, 30015, 30016)
"""Call state, CDR, transfer, forward, failed call, incoming call invitation."""


class EventTransport(StrEnum):
    WEBSOCKET = "websocket"
    """deskline connects to the PBX's ``subscribe`` WebSocket."""
    WEBHOOK = "webhook"
    """The PBX posts events to ``/webhooks/pseries/{connection}``."""


class PSeriesConfig(BaseModel):
    """One P-Series PBX (Software, Cloud or Appliance edition; all share ``openapi/v1.0``)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(
        description="The PBX web address, e.g. https://pbx.example.com:8088 (no /openapi path)."
    )
    client_id: str = Field(min_length=1, description="Integrations › API › Client ID.")
    client_secret: SecretStr = Field(description="Integrations › API › Client Secret.")
    transport: EventTransport = Field(
        default=EventTransport.WEBSOCKET, description="How call events reach deskline."
    )
    topics: list[int] = Field(
        default_factory=lambda: list(DEFAULT_TOPICS),
        min_length=1,
        description="Event ids to subscribe to over the WebSocket.",
    )
    verify_tls: bool = Field(default=True, description="Check the PBX's TLS certificate.")
    heartbeat_seconds: float = Field(
        default=50.0, gt=0, description="The PBX drops a WebSocket after 60 s of silence."
    )
    reconnect_initial_seconds: float = Field(default=1.0, gt=0)
    reconnect_max_seconds: float = Field(default=60.0, gt=0)
    token_refresh_margin_seconds: float = Field(
        default=300.0, ge=0, description="Refresh the access token this long before it expires."
    )
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    default_country: RegionCode = Field(default="US", description="Region for numbers without a +.")
    timezone: TimeZoneName = Field(
        default="UTC", description="The PBX's time zone (CDR times are local)."
    )
    webhook_token: SecretStr | None = Field(
        default=None,
        description="Webhook transport: the secret the PBX's webhook URL carries "
        "(?token=… or Authorization: Bearer …).",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.removesuffix("/openapi/v1.0")

    @model_validator(mode="after")
    def _consistent(self) -> PSeriesConfig:
        if self.reconnect_max_seconds < self.reconnect_initial_seconds:
            raise ValueError("reconnect_max_seconds must not be below reconnect_initial_seconds")
        if self.transport is EventTransport.WEBHOOK and self.webhook_token is None:
            raise ValueError("the webhook transport needs a webhook_token")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/openapi/v1.0/"

    @property
    def subscribe_url(self) -> str:
        """The WebSocket address, without the access token."""
        scheme, rest = self.base_url.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/openapi/v1.0/subscribe"
