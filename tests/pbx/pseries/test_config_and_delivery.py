"""Config checks, reconnect backoff, and events held until storage is back."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from deskline.calls.events import CallEvent
from deskline.errors import StorageError
from deskline.pbx.base import build_adapter
from deskline.pbx.pseries.adapter import PSeriesAdapter
from deskline.pbx.pseries.config import PSeriesConfig
from deskline.pbx.pseries.tokens import TokenManager
from deskline.pbx.pseries.ws import PSeriesSubscription
from tests.pbx.pseries.conftest import make_config
from tests.pbx.pseries.test_websocket import REAL_30012


def test_urls_follow_the_base_url() -> None:
    https = make_config("https://pbx.example.com:8088/openapi/v1.0/")
    plain = make_config("http://10.0.0.5")
    assert https.api_url == "https://pbx.example.com:8088/openapi/v1.0/"
    assert https.subscribe_url == "wss://pbx.example.com:8088/openapi/v1.0/subscribe"
    assert plain.subscribe_url == "ws://10.0.0.5/openapi/v1.0/subscribe"


@pytest.mark.parametrize(
    "bad",
    [
        {"base_url": "pbx.example.com"},
        {"transport": "webhook"},  # without a webhook token
        {"timezone": "Mars/Olympus"},
        {"reconnect_initial_seconds": 10, "reconnect_max_seconds": 1},
        {"client_id": ""},
    ],
)
def test_unusable_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_config("https://pbx.example.com", **bad)


def test_registered_as_kind_pseries() -> None:
    adapter = build_adapter(
        "pseries",
        make_config("https://pbx.example.com").model_dump(mode="json") | {"client_secret": "s"},
    )
    assert isinstance(adapter, PSeriesAdapter)
    assert isinstance(adapter.config, PSeriesConfig)


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    config = make_config("http://pbx", reconnect_initial_seconds=1, reconnect_max_seconds=8)
    tokens = TokenManager(None, "id", config.client_secret)  # type: ignore[arg-type]

    async def ignore(frame: str) -> None:
        return None

    highest = PSeriesSubscription(config, tokens, ignore, jitter=lambda: 1.0)
    lowest = PSeriesSubscription(config, tokens, ignore, jitter=lambda: 0.0)
    assert [highest._backoff(n) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]
    assert [lowest._backoff(n) for n in range(1, 3)] == [0.5, 1]


async def test_events_wait_for_storage_to_come_back() -> None:
    stored: list[CallEvent] = []
    failures = iter([StorageError("locked"), StorageError("locked")])

    async def flaky_sink(events: Sequence[CallEvent]) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        stored.extend(events)

    adapter = PSeriesAdapter(make_config("http://127.0.0.1:9"))
    assert await adapter.accept_frame(REAL_30012, flaky_sink) == 2
    assert [e.kind for e in stored] == ["call.offered", "call.cdr"]
    assert await adapter.accept_frame("{garbage", flaky_sink) == 0
