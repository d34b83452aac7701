"""The webhook route sees a connection's changes at once, although it keeps the decrypted,
validated config between requests (only its version is read per request)."""

from __future__ import annotations

from deskline.pbx.simulator.scenario import CallScenario
from tests.web.calls_helpers import call_events
from tests.web.conftest import Server


async def _post(server: Server, token: str) -> int:
    events = call_events(CallScenario(caller="+15551230000", callee="2005", answer_after=1))
    answer = await server.anon.post(
        "/webhooks/pbx/pbx-hook",
        json={"events": events[:1]},
        headers={"Authorization": f"Bearer {token}"},
    )
    return answer.status_code


async def test_a_new_token_disabling_and_deleting_apply_to_the_next_request(
    server: Server,
) -> None:
    created = await server.admin.post(
        "/api/pbx-connections",
        json={"name": "pbx-hook", "kind": "webhook", "config": {"token": "first-token-value"}},
    )
    assert created.status_code == 201, created.text
    url = f"/api/pbx-connections/{created.json()['id']}"
    assert await _post(server, "first-token-value") == 200
    assert await _post(server, "first-token-value") == 200  # served from the cache

    patched = await server.admin.patch(url, json={"config": {"token": "second-token-value"}})
    assert patched.status_code == 200, patched.text
    assert await _post(server, "first-token-value") == 401
    assert await _post(server, "second-token-value") == 200

    await server.admin.patch(url, json={"enabled": False})
    assert await _post(server, "second-token-value") == 409

    assert (await server.admin.delete(url)).status_code == 204
    assert await _post(server, "second-token-value") == 404
