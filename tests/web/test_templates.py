"""Helpdesk templates through the API: upload with a logo checked by content, list, get,
export round-trip, replace, delete, the limit of 10, bundled templates read-only, and
invalid templates answered with every problem and where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from deskline.templates import load_template
from deskline.web import template_catalog
from tests.web.conftest import Server

FIXTURES = Path(__file__).resolve().parent.parent / "templates" / "fixtures"
MINIMAL = (FIXTURES / "valid" / "minimal.xml").read_text()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def template_xml(key: str = "mini", name: str = "Mini") -> str:
    return MINIMAL.replace('Key="mini"', f'Key="{key}"').replace('Name="Mini"', f'Name="{name}"')


def files(xml: str, logo: tuple[str, bytes] | None = None) -> dict[str, Any]:
    parts: dict[str, Any] = {"file": ("desk.xml", xml.encode(), "application/xml")}
    if logo is not None:
        parts["logo"] = (logo[0], logo[1], "application/octet-stream")
    return parts


async def upload(server: Server, xml: str, logo: tuple[str, bytes] | None = None) -> httpx.Response:
    return await server.admin.post("/api/templates", files=files(xml, logo))


@pytest.fixture(autouse=True)
def one_bundled_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = tmp_path / "bundled" / "acme.xml"
    bundled.parent.mkdir()
    bundled.write_text(template_xml("acme", "Acme Desk"))
    monkeypatch.setattr(template_catalog, "builtin_template_paths", lambda: [bundled])


async def test_upload_list_get_and_logo(server: Server) -> None:
    created = await upload(server, template_xml("zen", "Zen Desk"), ("zen.png", PNG))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"] == "zen" and body["bundled"] is False and body["has_logo"] is True
    assert body["summary"]["auth_type"] == "none"
    assert body["model"]["Key"] == "zen"

    listed = (await server.admin.get("/api/templates")).json()
    assert [(t["key"], t["read_only"]) for t in listed] == [("acme", True), ("zen", False)]

    logo = await server.admin.get("/api/templates/zen/logo")
    assert logo.content == PNG and logo.headers["content-type"] == "image/png"
    assert (await server.admin.get("/api/templates/acme/logo")).status_code == 404


async def test_export_is_round_trip_stable(server: Server) -> None:
    await upload(server, template_xml("zen"))
    exported = await server.admin.get("/api/templates/zen/export")
    assert exported.headers["content-type"].startswith("application/xml")
    assert load_template(exported.content) == load_template(template_xml("zen"))

    replaced = await server.admin.put("/api/templates/zen", files=files(exported.text))
    assert replaced.status_code == 200, replaced.text
    assert (await server.admin.get("/api/templates/zen/export")).text == exported.text
    bundled = await server.admin.get("/api/templates/acme/export")
    assert load_template(bundled.content).key == "acme"


async def test_replace_keeps_the_logo_and_refuses_a_changed_key(server: Server) -> None:
    await upload(server, template_xml("zen"), ("zen.jpg", JPEG))
    renamed = await server.admin.put(
        "/api/templates/zen", files=files(template_xml("zen", "Zen Two"))
    )
    assert renamed.json()["name"] == "Zen Two" and renamed.json()["has_logo"] is True
    assert (await server.admin.get("/api/templates/zen/logo")).content == JPEG
    other_key = await server.admin.put("/api/templates/zen", files=files(template_xml("zen2")))
    assert other_key.status_code == 422 and "keys cannot change" in other_key.json()["message"]
    missing = await server.admin.put("/api/templates/nope", files=files(template_xml("nope")))
    assert missing.status_code == 404


async def test_invalid_templates_list_every_problem_with_its_place(server: Server) -> None:
    broken = (FIXTURES / "broken" / "unknown-function.xml").read_text()
    answer = await upload(server, broken)
    assert answer.status_code == 422
    [problem] = [p for p in answer.json()["problems"] if "Lower" in p["message"]]
    assert problem["line"] == 17 and problem["column"] > 1
    assert problem["path"].startswith("Scenario[@Id='SyncContactAuto']")
    malformed = await upload(server, "<Information Key='x'")
    assert malformed.status_code == 422 and malformed.json()["problems"][0]["line"] == 1
    assert (await server.admin.get("/api/templates")).json()[1:] == []


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("logo.gif", PNG, ".png, .jpg or .jpeg"),
        ("logo.png", b"GIF89a not really a png", "not a PNG or JPEG"),
        ("logo.png", JPEG, "named .png but its content is image/jpeg"),
        ("logo.png", PNG + b"\x00" * 500 * 1024, "larger than 500 KB"),
    ],
)
async def test_logos_are_checked_by_content_and_size(
    server: Server, filename: str, content: bytes, message: str
) -> None:
    answer = await upload(server, template_xml("zen"), (filename, content))
    assert answer.status_code in (413, 422)
    assert message in answer.json()["message"]
    assert (await server.admin.get("/api/templates/zen")).status_code == 404


async def test_at_most_ten_custom_templates(server: Server) -> None:
    for number in range(10):
        assert (await upload(server, template_xml(f"desk{number}"))).status_code == 201
    eleventh = await upload(server, template_xml("desk10"))
    assert eleventh.status_code == 409
    assert "10 custom templates" in eleventh.json()["message"]
    assert (await server.admin.delete("/api/templates/desk3")).status_code == 204
    assert (await upload(server, template_xml("desk10"))).status_code == 201


async def test_duplicate_keys_and_bundled_templates_are_protected(server: Server) -> None:
    await upload(server, template_xml("zen"))
    assert (await upload(server, template_xml("zen"))).status_code == 409
    shadow = await upload(server, template_xml("acme"))
    assert shadow.status_code == 409 and "bundled" in shadow.json()["message"]
    replace = await server.admin.put("/api/templates/acme", files=files(template_xml("acme")))
    assert replace.status_code == 403
    assert (await server.admin.delete("/api/templates/acme")).status_code == 403
    assert (await server.admin.delete("/api/templates/nope")).status_code == 404
    bundled = (await server.admin.get("/api/templates/acme")).json()
    assert bundled["read_only"] is True and bundled["name"] == "Acme Desk"
