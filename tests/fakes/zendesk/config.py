"""The emulator's switches: account shape, OAuth lifetimes, feature toggles, limits.

Every field can be changed at run time (Python API or ``PATCH /_emulator/config``); values
are validated on assignment, so a control call with a bad value gets a clear 422.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConsentMode = Literal["page", "auto-allow", "auto-deny"]

#: Requests per minute by Zendesk plan (helpdesk-apis.md §1.8).
PLAN_RATE_LIMITS: dict[str, int] = {
    "essential": 10,
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "enterprise-plus": 2500,
    "high-volume": 2500,
}


class EmulatorConfig(BaseModel):
    """Behaviour switches of one emulated Zendesk account."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    subdomain: str = Field(default="acme", pattern=r"^[a-z0-9][a-z0-9-]*$")
    rate_limit_per_minute: int = Field(default=PLAN_RATE_LIMITS["enterprise"], ge=1)
    tickets_index_limit: int = Field(default=100, ge=1)

    # OAuth (§1.2-1.3)
    consent_mode: ConsentMode = "page"
    authorization_code_ttl: float = Field(default=120.0, gt=0)
    access_token_ttl: int = Field(default=1800, ge=1)
    refresh_token_ttl: int = Field(default=2_592_000, ge=1)
    expires_in_null: bool = False
    omit_refresh_token: bool = False

    # Search (§1.4)
    search_index_delay: float = Field(default=0.0, ge=0)
    search_unavailable: bool = False

    # Users (§1.5)
    validate_phone_numbers: bool = False
    offset_pagination_cap: int = Field(default=10_000, ge=1)

    # Tickets (§1.6-1.7)
    comment_cap: int = Field(default=5000, ge=1)
    idempotency_ttl: float = Field(default=7200.0, gt=0)

    # Talk Partner Edition (§1.9)
    tpe_enabled: bool = True

    # OpenAPI validation (§1.10)
    reject_invalid_requests: bool = False
    validate_responses: bool = True

    def plan(self, name: str) -> None:
        """Set the rate limit from a plan name (``team``, ``growth``, ``enterprise``, ...)."""
        try:
            self.rate_limit_per_minute = PLAN_RATE_LIMITS[name]
        except KeyError:
            raise ValueError(f"unknown plan {name!r}; known: {sorted(PLAN_RATE_LIMITS)}") from None
