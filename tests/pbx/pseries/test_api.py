"""The Open API client against the fake PBX: one shared token, refresh, re-login, dial."""

from __future__ import annotations

import asyncio
import logging

import pytest

from deskline.errors import PbxActionError, PbxAuthenticationError
from deskline.pbx.pseries.adapter import PSeriesAdapter
from deskline.pbx.pseries.api import PSeriesApi
from tests.fakes.pseries_server import MAX_TOKENS, FakePSeries
from tests.pbx.pseries.conftest import make_config


async def test_concurrent_requests_share_one_token(fake: FakePSeries, pbx_url: str) -> None:
    api = PSeriesApi(make_config(pbx_url), clock=fake.clock)
    try:
        await asyncio.gather(*(api.dial("1005", f"55033{i:02}") for i in range(12)))
    finally:
        await api.aclose()
    assert fake.logins == 1
    assert len(fake.dials) == 12
    assert set(fake.user_agents) == {"OpenAPI"}


async def test_token_is_refreshed_before_it_expires(fake: FakePSeries, pbx_url: str) -> None:
    api = PSeriesApi(make_config(pbx_url), clock=fake.clock)
    try:
        await api.dial("1005", "5503301")
        first = fake.valid_tokens()
        fake.clock.advance(fake.access_ttl - 30)  # inside the 60 s margin, still valid
        await api.dial("1005", "5503302")
    finally:
        await api.aclose()
    assert (fake.logins, fake.refreshes) == (1, 1)
    assert first[0] not in fake.access_tokens  # the refresh rotated the old token out


async def test_refused_refresh_falls_back_to_a_login(fake: FakePSeries, pbx_url: str) -> None:
    fake.fail_refresh = True
    api = PSeriesApi(make_config(pbx_url), clock=fake.clock)
    try:
        await api.dial("1005", "5503301")
        fake.clock.advance(fake.access_ttl - 30)
        await api.dial("1005", "5503302")
    finally:
        await api.aclose()
    assert (fake.logins, fake.refreshes) == (2, 1)


async def test_revoked_token_triggers_one_relogin(fake: FakePSeries, pbx_url: str) -> None:
    api = PSeriesApi(make_config(pbx_url), clock=fake.clock)
    try:
        await api.dial("1005", "5503301")
        fake.access_tokens.clear()  # e.g. the PBX restarted
        call_id = await api.dial("1005", "5503302")
    finally:
        await api.aclose()
    assert call_id.startswith("1702285600.")
    assert fake.logins == 2


async def test_many_clients_never_exceed_the_token_cap(fake: FakePSeries, pbx_url: str) -> None:
    api = PSeriesApi(make_config(pbx_url), clock=fake.clock)
    try:
        for _ in range(MAX_TOKENS + 2):
            await api.dial("1005", "5503301")
            fake.clock.advance(fake.access_ttl - 30)
    finally:
        await api.aclose()
    assert fake.logins == 1
    assert len(fake.valid_tokens()) <= 1


async def test_wrong_secret_is_an_authentication_error(fake: FakePSeries, pbx_url: str) -> None:
    api = PSeriesApi(make_config(pbx_url, client_secret="wrong"), clock=fake.clock)
    try:
        with pytest.raises(PbxAuthenticationError, match="client-id"):
            await api.dial("1005", "5503301")
    finally:
        await api.aclose()


async def test_refused_dial_is_an_action_error(pbx_url: str) -> None:
    api = PSeriesApi(make_config(pbx_url))
    try:
        with pytest.raises(PbxActionError, match="40002"):
            await api.dial("1005", "")
    finally:
        await api.aclose()


async def test_recording_download_gives_the_absolute_url(pbx_url: str) -> None:
    api = PSeriesApi(make_config(pbx_url))
    try:
        url = await api.recording_download(file="20231211-1.wav")
        by_id = await api.recording_download(recording_id=42)
    finally:
        await api.aclose()
    assert url == f"{pbx_url}/api/download/20231211-1.wav"
    assert by_id == f"{pbx_url}/api/download/rec-42.wav"


async def test_originate_dials_with_the_agents_permission(fake: FakePSeries, pbx_url: str) -> None:
    adapter = PSeriesAdapter(make_config(pbx_url))
    try:
        result = await adapter.originate("2005", "+15551234567")
        refused = await adapter.originate("2005", "")
    finally:
        await adapter.close()
    assert result.accepted and result.call_id
    assert fake.dials[0] == {"caller": "2005", "callee": "+15551234567", "dial_permission": "2005"}
    assert not refused.accepted and "PARAMETER ERROR" in refused.message
    assert fake.revoked == 1  # close gives the token back


async def test_access_tokens_stay_out_of_the_logs(
    fake: FakePSeries, pbx_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = PSeriesApi(make_config(pbx_url), clock=fake.clock)
    try:
        await api.dial("1005", "5503301")
        token = await api.tokens.get()
    finally:
        await api.aclose()
    assert "call/dial?access_token=****" in caplog.text  # httpx logged the request...
    assert token not in caplog.text  # ...without the token


def test_secrets_stay_out_of_reprs() -> None:
    config = make_config("http://127.0.0.1:1", client_secret="very-secret-value")
    assert "very-secret-value" not in repr(config)
    assert "very-secret-value" not in repr(PSeriesApi(config).tokens)
