"""Ready-made accounts: ``demo`` (an admin, agents, callers with phone numbers, an OAuth
client and an API token) for demos and end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.zendesk.emulator import ZendeskEmulator
from tests.fakes.zendesk.oauth_state import OAuthClient

DEMO_REDIRECT_URLS = (
    "http://127.0.0.1:8000/oauth/callback",
    "http://localhost:8000/oauth/callback",
)


@dataclass(frozen=True)
class SeededAccount:
    client: OAuthClient
    api_token: str
    admin_email: str


def seed_demo(
    emulator: ZendeskEmulator,
    redirect_urls: tuple[str, ...] | list[str] = DEMO_REDIRECT_URLS,
    client_secret: str | None = None,
) -> SeededAccount:
    domain = f"{emulator.config.subdomain}.test"
    admin = emulator.add_agent("Kristin Hale", f"kristin@{domain}", admin=True)
    emulator.add_agent("Omar Diaz", f"omar@{domain}")
    emulator.add_agent("Mei Lin", f"mei@{domain}")
    emulator.add_user("Ruth Baker", phone="+15135557611", email="ruth@example.com")
    emulator.add_user("Jonas Weber", phone="+49 30 1234567")
    emulator.add_user("Alex Shared", phone="+442071838750", shared_phone_number=True)
    client = emulator.register_oauth_client(
        "deskline", list(redirect_urls), "confidential", client_secret
    )
    token = emulator.add_api_token()
    assert admin.email is not None
    return SeededAccount(client, token, admin.email)


SEEDS = {"demo": seed_demo}
