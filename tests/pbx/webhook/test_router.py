"""The webhook endpoints as a PBX sees them: auth, errors, dedupe, hostile data."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from deskline.calls.events import CallHungUp, CallOffered, LegEnded, LegRinging
from deskline.calls.model import LegStatus
from deskline.pbx.webhook.auth import sign
from tests.fakes.pseries_server import frame
from tests.pbx.pseries.test_websocket import REAL_30011, REAL_30012
from tests.pbx.webhook.conftest import HMAC_SECRET, PSERIES_TOKEN, TOKEN, MemorySink

AUTH = {"Authorization": f"Bearer {TOKEN}"}
RING = {
    "event": "ring",
    "event_id": "r-1",
    "call_id": "c-1",
    "timestamp": "2024-05-01T10:00:00Z",
    "from": {"number": "+15551234567", "name": "Ann"},
    "to": {"number": "2005"},
    "direction": "inbound",
    "extension": "2005",
}


async def post(
    client: httpx.AsyncClient,
    body: Any,
    headers: dict[str, str] | None = None,
    path: str = "/webhooks/pbx/office",
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(
        path,
        content=content,
        headers={"Content-Type": "application/json", **(AUTH if headers is None else headers)},
    )


def signed(body: bytes, at: float | None = None, secret: str = HMAC_SECRET) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "X-Deskline-Timestamp": timestamp,
        "X-Deskline-Signature": sign(secret, timestamp, body),
    }


async def test_bearer_token_is_required_and_checked(
    client: httpx.AsyncClient, sink: MemorySink
) -> None:
    ok = await post(client, RING)
    assert (ok.status_code, ok.json()) == (200, {"accepted": 1, "duplicates": 0})
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN}):
        response = await post(client, RING | {"event_id": "r-2"}, headers)
        assert response.status_code == 401, headers
    assert {e.key.split(":")[1] for e in sink.events} == {"r-1"}


async def test_hmac_signature_good_bad_and_stale(client: httpx.AsyncClient) -> None:
    body = json.dumps(RING).encode()
    path = "/webhooks/pbx/signed"
    assert (await post(client, body, signed(body), path)).status_code == 200
    tampered = body.replace(b"Ann", b"Bob")
    assert (await post(client, tampered, signed(body), path)).status_code == 401
    # Timestamps are whole seconds, so stay a few seconds clear of the 300 s boundary.
    stale = await post(client, body, signed(body, time.time() - 305), path)
    assert stale.status_code == 401 and "tolerance" in stale.json()["detail"]
    early = await post(client, body, signed(body, time.time() + 305), path)
    assert early.status_code == 401
    wrong_key = await post(client, body, signed(body, secret="another-secret-123456"), path)
    assert wrong_key.status_code == 401
    assert (await post(client, body, {}, path)).status_code == 401


async def test_invalid_json_is_400_with_its_position(client: httpx.AsyncClient) -> None:
    response = await post(client, b'{"event": "ring",\n "call_id": }')
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert (detail["line"], detail["column"]) == (2, 13)
    assert "invalid JSON" in detail["message"]


async def test_schema_errors_are_422_with_field_paths(client: httpx.AsyncClient) -> None:
    response = await post(
        client, {"events": [RING, {"event": "hangup"}, {"event": "dance", "call_id": "x"}]}
    )
    assert response.status_code == 422
    paths = {problem["path"] for problem in response.json()["detail"]}
    assert "events.1.hangup.call_id" in paths
    assert any(path.startswith("events.2") for path in paths)
    bad_time = await post(client, RING | {"timestamp": "yesterday"})
    assert bad_time.status_code == 422
    assert bad_time.json()["detail"][0]["path"] == "ring.timestamp"
    assert (await post(client, [1, 2])).status_code == 422


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    huge = RING | {"from": {"number": "1", "name": "x" * 1_100_000}}
    assert (await post(client, huge)).status_code == 413


async def test_unknown_and_disabled_connections(client: httpx.AsyncClient) -> None:
    assert (await post(client, RING, path="/webhooks/pbx/nowhere")).status_code == 404
    assert (await post(client, RING, path="/webhooks/pbx/off")).status_code == 409
    assert (await post(client, RING, path="/webhooks/pbx/pbx")).status_code == 404  # P-Series


async def test_duplicates_are_acknowledged_but_stored_once(
    client: httpx.AsyncClient, sink: MemorySink
) -> None:
    no_id = {k: v for k, v in RING.items() if k != "event_id"}
    first = await post(client, {"events": [RING, no_id]})
    again = await post(client, {"events": [RING, no_id]})
    assert first.json() == {"accepted": 2, "duplicates": 0}
    assert again.json() == {"accepted": 2, "duplicates": 2}
    assert len(sink.events) == 4  # two events, each a CallOffered and a LegRinging
    assert [type(e) for e in sink.events[:2]] == [CallOffered, LegRinging]


async def test_storage_down_is_503_so_the_pbx_retries(
    client: httpx.AsyncClient, sink: MemorySink
) -> None:
    sink.down = True
    response = await post(client, RING)
    assert response.status_code == 503 and response.headers["Retry-After"]


async def test_hostile_strings_are_carried_as_data(
    client: httpx.AsyncClient, sink: MemorySink
) -> None:
    names = [
        'Robert"); DROP TABLE calls;--',
        "{{.Call_From}} {{ evil }}",
        "Ann\r\nX-Injected: 1",
        "\u202eevil\u0000 \U0001f600 名前",
        "n" * 10_000,
    ]
    for index, name in enumerate(names):
        body = RING | {"event_id": f"h-{index}", "from": {"number": "+15551234567", "name": name}}
        assert (await post(client, body)).status_code == 200
    offered = [e for e in sink.events if isinstance(e, CallOffered)]
    assert [e.caller.name for e in offered] == names


async def test_leg_and_call_hangups(client: httpx.AsyncClient, sink: MemorySink) -> None:
    await post(
        client,
        {
            "events": [
                {"event": "hangup", "call_id": "c-1", "extension": "2005", "status": "No Answer"},
                {
                    "event": "hangup",
                    "call_id": "c-1",
                    "cause": "caller left",
                    "timestamp": 1714557600,
                },
            ]
        },
    )
    leg, call = sink.events
    assert isinstance(leg, LegEnded) and leg.status is LegStatus.NO_ANSWER
    assert isinstance(call, CallHungUp) and call.cause == "caller left"
    assert call.at.isoformat() == "2024-05-01T10:00:00+00:00"


async def test_pseries_webhook_accepts_the_envelope(
    client: httpx.AsyncClient, sink: MemorySink
) -> None:
    path = "/webhooks/pseries/pbx"
    by_query = await client.post(f"{path}?token={PSERIES_TOKEN}", content=REAL_30011)
    by_header = await client.post(
        path, content=f"[{REAL_30012}]", headers={"Authorization": f"Bearer {PSERIES_TOKEN}"}
    )
    assert by_query.json() == {"accepted": 1, "duplicates": 0}
    assert by_header.json() == {"accepted": 1, "duplicates": 0}
    assert {e.kind for e in sink.events} == {"call.offered", "call.cdr"}
    assert (await client.post(path, content=REAL_30012)).status_code == 401
    bad = await client.post(f"{path}?token={PSERIES_TOKEN}", content='{"type":30011,"msg":"{"}')
    assert bad.status_code == 422
    broken = await client.post(f"{path}?token={PSERIES_TOKEN}", content="{")
    assert broken.status_code == 400


async def test_pseries_events_not_stored_are_produced_again(
    client: httpx.AsyncClient, sink: MemorySink
) -> None:
    ring = frame(
        30011,
        {
            "call_id": "7.1",
            "members": [
                {
                    "inbound": {
                        "from": "0301234567",
                        "to": "5503301",
                        "trunk_name": "T",
                        "channel_id": "T-1",
                        "member_status": "ALERT",
                    }
                },
                {"extension": {"number": "2005", "channel_id": "P-1", "member_status": "RING"}},
            ],
        },
    )
    path = f"/webhooks/pseries/pbx?token={PSERIES_TOKEN}"
    sink.down = True
    assert (await client.post(path, content=ring)).status_code == 503
    sink.down = False
    assert (await client.post(path, content=ring)).status_code == 200
    assert {e.kind for e in sink.events} == {"call.offered", "leg.ringing"}
