"""Whatever a sender posts, the webhook answers 2xx or a 4xx: never a server error."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.pbx.webhook.conftest import PSERIES_TOKEN, TOKEN, MemorySink, build_app

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "call_id",
    "event_id",
    "timestamp",
    "from",
    "to",
    "direction",
    "extension",
    "status",
    "cause",
    "queue",
    "action",
    "outcome",
    "talk_seconds",
    "started_at",
    "to",
    "kind",
]
schema_like = st.builds(
    lambda event, extra: {"event": event, **extra},
    st.sampled_from(["ring", "answer", "hangup", "cdr", "transfer", "queue", "other"]),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    schema_like.map(lambda v: json.dumps(v).encode()),
    st.lists(schema_like, max_size=3).map(lambda v: json.dumps({"events": v}).encode()),
    st.binary(max_size=64),
)

APP = build_app(MemorySink())


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=APP)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post(url, content=body, headers=headers)

    return asyncio.run(send())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_generic_webhook_never_answers_5xx(body: bytes) -> None:
    response = post("/webhooks/pbx/office", body, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 400, 422)


def _envelope(kind: Any, msg: Any) -> bytes:
    return json.dumps({"type": kind, "sn": "X", "msg": json.dumps(msg)}).encode()


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from([30011, 30012, 30013, 30014, 30015, 30016, "30011", None]),
    msg=st.dictionaries(
        st.sampled_from(
            [
                "call_id",
                "members",
                "time_start",
                "status",
                "type",
                "call_duration",
                "talk_duration",
                "reason",
                "call_from",
            ]
        ),
        json_values,
        max_size=6,
    ),
)
@example(
    kind=30012,
    msg={"call_id": "1", "time_start": "2023-12-11 11:05:25", "call_duration": float("inf")},
)
@example(
    kind=30012, msg={"call_id": "1", "time_start": "9999-12-31 23:59:59", "call_duration": 100}
)
@example(kind=30012, msg={"call_id": "1", "talk_duration": 1e308})
def test_pseries_webhook_never_answers_5xx(kind: Any, msg: Any) -> None:
    response = post(f"/webhooks/pseries/pbx?token={PSERIES_TOKEN}", _envelope(kind, msg))
    assert response.status_code < 500, response.text
