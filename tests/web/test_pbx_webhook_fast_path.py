"""The PBX webhooks' fast path: it serves the event posts before FastAPI's routing, and
leaves every other request to the app."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from deskline.web.pbx_webhooks import PbxWebhookFastPath, PbxWebhooks
from tests.pbx.webhook.conftest import MemorySink, build_app, resolver
from tests.pbx.webhook.test_router import AUTH, RING, post


def _without_webhook_routes(sink: MemorySink) -> httpx.AsyncClient:
    """The fast path on an app without the webhook routes: what answers a post is the fast
    path."""
    app = FastAPI()
    app.add_middleware(PbxWebhookFastPath, webhooks=PbxWebhooks(resolver(sink)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d.test")


async def test_event_posts_are_served_without_the_routes() -> None:
    sink = MemorySink()
    async with _without_webhook_routes(sink) as client:
        answer = await post(client, RING)
        assert (answer.status_code, answer.json()) == (200, {"accepted": 1, "duplicates": 0})
        assert [event.call_id for event in sink.events] == ["c-1"] * len(sink.events)
        assert sink.events
        unknown = await post(client, RING, path="/webhooks/pbx/nowhere")
        assert unknown.status_code == 404


async def test_other_requests_go_on_to_the_app() -> None:
    sink = MemorySink()
    async with _without_webhook_routes(sink) as client:
        # another method on a webhook path, and deeper paths, are the app's (no route: 404)
        assert (await client.get("/webhooks/pbx/office", headers=AUTH)).status_code == 404
        assert (await post(client, RING, path="/webhooks/pbx/office/more")).status_code == 404
        assert (await post(client, RING, path="/webhooks/other/office")).status_code == 404
    assert sink.events == []


async def test_the_routes_stay_declared_for_the_api_description() -> None:
    paths = build_app(MemorySink(), fast_path=True).openapi()["paths"]
    assert "post" in paths["/webhooks/pbx/{connection}"]
    assert "post" in paths["/webhooks/pseries/{connection}"]


async def test_a_mounted_app_strips_its_root_path() -> None:
    sink = MemorySink()
    app = build_app(sink, fast_path=True)
    transport = httpx.ASGITransport(app=app, root_path="/desk")
    async with httpx.AsyncClient(transport=transport, base_url="http://d.test") as client:
        answer = await post(client, RING, path="/desk/webhooks/pbx/office")
    assert answer.status_code == 200
    assert sink.events
