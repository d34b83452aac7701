"""How a PBX posting the generic JSON webhook authenticates (kind ``webhook``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from deskline.config_types import RegionCode

MAX_BODY_BYTES = 1_000_000


class WebhookConfig(BaseModel):
    """A bearer token, an HMAC secret, or both (a request then passes either)."""

    model_config = ConfigDict(extra="forbid")

    token: SecretStr | None = Field(
        default=None, description="Sent as 'Authorization: Bearer <token>'."
    )
    hmac_secret: SecretStr | None = Field(
        default=None,
        description="Signs '<X-Deskline-Timestamp>.<raw body>' with HMAC-SHA256 "
        "(X-Deskline-Signature: sha256=<hex>).",
    )
    timestamp_tolerance_seconds: int = Field(
        default=300, ge=1, description="How old (or early) a signed request may be."
    )
    max_body_bytes: int = Field(default=MAX_BODY_BYTES, ge=1024, le=20_000_000)
    default_country: RegionCode = Field(default="US", description="Region for numbers without a +.")

    @model_validator(mode="after")
    def _some_auth(self) -> WebhookConfig:
        secrets = [s for s in (self.token, self.hmac_secret) if s is not None]
        if not secrets:
            raise ValueError("set a token, an hmac_secret, or both")
        if any(len(s.get_secret_value()) < 16 for s in secrets):
            raise ValueError("webhook secrets must be at least 16 characters long")
        return self
