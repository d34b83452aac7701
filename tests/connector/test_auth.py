"""Auth flows against the generic helpdesk: basic (both credential types), bearer, and OAuth2
(code exchange with PKCE, refresh on the interval and on a rejection, rotation saved before
use, one refresh at a time, invalid_grant → re-authorization)."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from deskline.connector import (
    Connector,
    JsonFileTokenStore,
    MemoryTokenStore,
    OAuthTokens,
    code_from_redirect,
)
from deskline.errors import HelpdeskAuthError
from tests.connector.conftest import ACME_FIELDS, REDIRECT_URI, load_example
from tests.connector.helpers import authorized
from tests.connector.templates import desk_template
from tests.fakes.generic_helpdesk import GenericHelpdesk

DOMAIN = {"domain": "desk.example"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def paths(desk: GenericHelpdesk) -> list[str]:
    return [f"{r.method} {r.path} {r.status}" for r in desk.requests]


# --- basic ----------------------------------------------------------------------------------


def basic_template(credential_type: str, fmt: str, fields: str) -> object:
    return desk_template(
        f"""<Parameter Name="CredentialType" Value="{credential_type}"/>
        <Parameter Name="Base64EncodedCredential" Value="{fmt}"/>{fields}""",
        auth_type="basic",
    )


USERNAME_PASSWORD = basic_template(
    "username_password",
    "{{.username}}:{{.password}}",
    """<Parameter Father="CustomFieldList" Name="username" Editor="string" Title="User"/>
       <Parameter Father="CustomFieldList" Name="password" Editor="password" Title="Password"/>""",
)
API_KEY = basic_template(
    "api_key",
    "{{.api_key}}:X",
    '<Parameter Father="CustomFieldList" Name="api_key" Editor="password" Title="Key"/>',
)


@pytest.mark.parametrize(
    ("template", "fields", "credential"),
    [
        (USERNAME_PASSWORD, {"username": "agent", "password": "s3cret"}, "agent:s3cret"),
        (API_KEY, {"api_key": "key-123"}, "key-123:X"),
    ],
    ids=["username_password", "api_key"],
)
async def test_basic_auth_sends_the_rendered_credential_base64_encoded(
    template: object,
    fields: dict[str, str],
    credential: str,
    desk: GenericHelpdesk,
    http_client: httpx.AsyncClient,
) -> None:
    desk.add_contact("Ada", "Lovelace", "+15551230001")
    async with Connector(template, {**DOMAIN, **fields}, http_client=http_client) as connector:  # type: ignore[arg-type]
        result = await connector.lookup("+15551230001")
    assert [c.first_name for c in result.contacts] == ["Ada"]
    expected = "Basic " + base64.b64encode(credential.encode()).decode()
    assert desk.requests[0].headers["authorization"] == expected


async def test_wrong_basic_credentials_need_reauthorization(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    fields = {**DOMAIN, "username": "agent", "password": "wrong"}
    async with Connector(USERNAME_PASSWORD, fields, http_client=http_client) as connector:  # type: ignore[arg-type]
        with pytest.raises(HelpdeskAuthError) as caught:
            await connector.lookup("+15551230001")
    assert caught.value.outcome == "reauthenticate"
    assert caught.value.status_code == 401
    assert "wrong" not in str(caught.value)


# --- bearer ---------------------------------------------------------------------------------

BEARER = desk_template(
    '<Parameter Father="CustomFieldList" Name="AccessToken" Editor="password" Title="Token"/>',
    auth_type="bearer_token",
)


async def test_bearer_token_from_a_field(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    desk.add_contact("Ada", "Lovelace", "+15551230001")
    fields = {**DOMAIN, "AccessToken": "static-token-1"}
    async with Connector(BEARER, fields, http_client=http_client) as connector:
        result = await connector.lookup("+15551230001")
        with pytest.raises(HelpdeskAuthError):
            desk.static_tokens.clear()
            await connector.lookup("+15551230001")
    assert [c.id for c in result.contacts] == ["1001"]
    assert desk.requests[0].headers["authorization"] == "Bearer static-token-1"
    assert "static-token-1" not in result.log[0].headers[-1][1]  # the log shows it masked


async def test_a_connector_without_request_details_logs_the_request_but_not_its_content(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    """The pipeline's connectors: the request log keeps URL, status and outcome only."""
    desk.add_contact("Ada", "Lovelace", "+15551230001")
    fields = {**DOMAIN, "AccessToken": "static-token-1"}
    async with Connector(
        BEARER,
        fields,
        http_client=http_client,  # type: ignore[arg-type]
        request_details=False,
    ) as connector:
        result = await connector.lookup("+15551230001")
    assert [c.id for c in result.contacts] == ["1001"]
    (entry,) = result.log
    assert entry.status == 200 and entry.outcome == "success" and "%2B15551230001" in entry.url
    assert entry.headers == () and entry.body is None
    assert desk.requests[0].headers["authorization"] == "Bearer static-token-1"


# --- OAuth2 ---------------------------------------------------------------------------------


async def test_authorization_url_and_code_exchange_with_pkce(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    store = MemoryTokenStore()
    connector = Connector(
        load_example("acme-oauth2.xml"), ACME_FIELDS, store, http_client=http_client
    )
    request = connector.authorize_url(REDIRECT_URI, state="st-1")
    url = urlsplit(request.url)
    query = dict(parse_qsl(url.query))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "acme.acmedesk.example",
        "/oauth/authorize",
    )
    assert query["client_id"] == "deskline"
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["state"] == "st-1"
    assert query["scope"] == "read write"
    assert query["code_challenge_method"] == "S256" and request.code_verifier
    consent = await http_client.get(request.url)
    code = code_from_redirect(consent.headers["location"], "st-1")
    tokens = await connector.exchange_code(code, REDIRECT_URI, request.code_verifier)
    token_request = desk.requests[-1]
    assert token_request.headers["content-type"] == "application/json"  # TokenContentType
    assert "x-acme-region" not in token_request.headers  # no custom headers on token requests
    assert token_request.body == {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": "deskline",
        "client_secret": "client-secret-9",
        "code_verifier": request.code_verifier,
    }
    assert store.saved == [tokens] and tokens.refresh_token
    await connector.aclose()


def test_redirect_with_another_state_or_an_error_is_refused() -> None:
    with pytest.raises(HelpdeskAuthError, match="state"):
        code_from_redirect(f"{REDIRECT_URI}?code=abc&state=other", "mine")
    with pytest.raises(HelpdeskAuthError, match="access_denied"):
        code_from_redirect(f"{REDIRECT_URI}?error=access_denied&state=mine", "mine")
    assert code_from_redirect("  abc  ", "mine") == "abc"


def test_scopes_written_with_commas_go_out_space_separated_with_the_extra_query() -> None:
    template = desk_template(
        """<Parameter Name="AuthEndPoint" Value="https://{{.domain}}/oauth/authorize"/>
        <Parameter Name="TokenEndPoint" Value="https://{{.domain}}/oauth/token"/>
        <Parameter Name="Scope" Value="contacts.read,contacts.write"/>
        <Parameter Name="AdditionalQueryString" Value="audience={{.domain}}&amp;prompt=consent"/>
        <Parameter Father="CustomFieldList" Name="client_id" Editor="string" Title="Client"/>""",
        auth_type="oauth2",
    )
    connector = Connector(template, {**DOMAIN, "client_id": "abc"})
    url = connector.authorize_url(REDIRECT_URI, state="s").url
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "audience": "desk.example",
        "prompt": "consent",
        "response_type": "code",
        "client_id": "abc",
        "redirect_uri": REDIRECT_URI,
        "state": "s",
        "scope": "contacts.read contacts.write",
    }
    assert "scope=contacts.read%20contacts.write" in url


async def acme(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient, store: MemoryTokenStore, clock: Clock
) -> Connector:
    desk.add_contact("Ada", "Lovelace", "+15551230001")
    connector = await authorized(
        load_example("acme-oauth2.xml"), ACME_FIELDS, http_client, store, clock=clock
    )
    desk.requests.clear()
    return connector


async def test_token_is_refreshed_on_the_interval_and_the_rotated_pair_is_used(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    store, clock = MemoryTokenStore(), Clock()
    connector = await acme(desk, http_client, store, clock)
    first = store.saved[0]
    clock.now += 10 * 60
    await connector.lookup("+15551230001")
    assert [r.path for r in desk.requests] == [
        "/api/v1/contacts/search",
        "/api/v1/contacts/1001/phones",
    ]
    clock.now += 16 * 60  # 26 minutes after the exchange: the default interval (25) is over
    desk.requests.clear()
    await connector.lookup("+15551230001")
    assert [r.path for r in desk.requests][:2] == ["/oauth/token", "/api/v1/contacts/search"]
    refresh = desk.requests[0]
    assert refresh.body == {  # the template's RefreshTokenBody
        "grant_type": "refresh_token",
        "refresh_token": first.refresh_token,
        "client_id": "deskline",
        "client_secret": "client-secret-9",
    }
    second = store.saved[-1]
    assert second.refresh_token != first.refresh_token  # rotated
    assert desk.requests[1].headers["authorization"] == f"Bearer {second.access_token}"
    await connector.aclose()


async def test_rejected_token_is_refreshed_once_saved_before_use_and_the_request_resent(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    requests_seen_at_save: list[int] = []

    class WatchingStore(MemoryTokenStore):
        async def save(self, tokens: OAuthTokens) -> None:
            requests_seen_at_save.append(len(desk.requests))
            await super().save(tokens)

    store = WatchingStore()
    connector = await acme(desk, http_client, store, Clock())
    desk.access_tokens.clear()  # the helpdesk revoked the access token
    result = await connector.lookup("+15551230001")
    assert paths(desk)[:3] == [
        "GET /api/v1/contacts/search 401",
        "POST /oauth/token 201",
        "GET /api/v1/contacts/search 200",
    ]
    assert [c.id for c in result.contacts] == ["1001"]
    assert requests_seen_at_save[-1] == 2  # saved after the refresh answer, before the resend
    await connector.aclose()


async def test_token_invalid_error_code_in_a_400_also_refreshes(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    connector = await acme(desk, http_client, MemoryTokenStore(), Clock())
    desk.invalid_token_status = 400  # {"error":"invalid_token"} is the template's TokenInvalid
    desk.access_tokens.clear()
    await connector.lookup("+15551230001")
    assert paths(desk)[:3] == [
        "GET /api/v1/contacts/search 400",
        "POST /oauth/token 201",
        "GET /api/v1/contacts/search 200",
    ]
    await connector.aclose()


async def test_refused_refresh_token_means_reauthorization(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    connector = await acme(desk, http_client, MemoryTokenStore(), Clock())
    desk.access_tokens.clear()
    desk.refresh_tokens.clear()
    with pytest.raises(HelpdeskAuthError, match="invalid_grant") as caught:
        await connector.lookup("+15551230001")
    assert caught.value.outcome == "reauthenticate"
    assert paths(desk) == ["GET /api/v1/contacts/search 401", "POST /oauth/token 400"]
    await connector.aclose()


async def test_one_refresh_at_a_time_for_concurrent_requests(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    store, clock = MemoryTokenStore(), Clock()
    connector = await acme(desk, http_client, store, clock)
    clock.now += 30 * 60
    results = await asyncio.gather(*(connector.lookup("+15551230001") for _ in range(6)))
    assert all(len(r.contacts) == 1 for r in results)
    assert [r.path for r in desk.requests].count("/oauth/token") == 1
    assert len(store.saved) == 2
    await connector.aclose()


async def test_interval_zero_never_refreshes_on_a_timer(
    desk: GenericHelpdesk, http_client: httpx.AsyncClient
) -> None:
    text = (Path(__file__).parents[2] / "docs/examples/acme-oauth2.xml").read_text()
    text = text.replace(
        'Name="RefreshTokenInterval" Value=""', 'Name="RefreshTokenInterval" Value="0"'
    )
    from deskline.templates.validation import load_valid_template

    desk.add_contact("Ada", "Lovelace", "+15551230001")
    clock = Clock()
    connector = await authorized(load_valid_template(text), ACME_FIELDS, http_client, clock=clock)
    desk.requests.clear()
    clock.now += 5 * 3600
    await connector.lookup("+15551230001")
    assert "/oauth/token" not in [r.path for r in desk.requests]
    await connector.aclose()


# --- token stores ---------------------------------------------------------------------------


async def test_json_file_token_store_is_private_and_round_trips(tmp_path: Path) -> None:
    store = JsonFileTokenStore(tmp_path / "tokens" / "acme.json")
    assert await store.load() is None
    tokens = OAuthTokens("access-secret-1", "refresh-secret-2", "bearer", 10.0, 3610.0)
    await store.save(tokens)
    assert (tmp_path / "tokens" / "acme.json").stat().st_mode & 0o777 == 0o600
    assert await store.load() == tokens
    assert (
        json.loads((tmp_path / "tokens" / "acme.json").read_text())["refresh_token"]
        == "refresh-secret-2"
    )
    assert "access-secret-1" not in repr(tokens) and "refresh-secret-2" not in repr(tokens)
