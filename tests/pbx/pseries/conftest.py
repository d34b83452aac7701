"""A fake P-Series PBX on a real socket, and configs pointing at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from deskline.pbx.pseries.config import PSeriesConfig
from tests.fakes.pseries_server import FakePSeries, running_pseries


@pytest.fixture
def fake() -> FakePSeries:
    return FakePSeries(access_ttl=600, refresh_ttl=3600)


@pytest.fixture
async def pbx_url(fake: FakePSeries) -> AsyncIterator[str]:
    async with running_pseries(fake) as url:
        yield url


def make_config(url: str, **overrides: Any) -> PSeriesConfig:
    values: dict[str, Any] = {
        "base_url": url,
        "client_id": "client-id",
        "client_secret": "client-secret",
        "token_refresh_margin_seconds": 60,
        "heartbeat_seconds": 0.2,
        "reconnect_initial_seconds": 0.05,
        "reconnect_max_seconds": 0.2,
        "request_timeout_seconds": 2,
        "timezone": "Europe/Berlin",
    }
    values.update(overrides)
    return PSeriesConfig.model_validate(values)
