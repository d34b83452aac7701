"""Property: hostile call/contact values and helpdesk answers cannot change a request's shape.

Every scenario of every example and bundled template runs (through httpx.MockTransport) with
hostile values for all its call/contact variables, and again with a plain marker. Each request
sent with hostile values must have the same URL path segments and query names, the same
headers (none with a line break) and a JSON body of the same shape holding the value intact —
or the run must stop with TemplateRenderError before anything broken is sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deskline.connector import Connector, MemoryTokenStore, OAuthTokens
from deskline.errors import TemplateRenderError
from deskline.templates.builtin import builtin_template_paths
from deskline.templates.model import HelpdeskTemplate, ScenarioId
from deskline.templates.validation import load_valid_template
from deskline.templates.variables import NUMERIC_VARIABLES, builtin_variables
from tests.connector.conftest import EXAMPLES

MARK = "MARKER7"
HOSTILE = st.one_of(
    st.sampled_from(
        [
            '"',
            "\\",
            '\\"',
            "{{.domain}}",
            "{{ }}",
            "a\r\nX-Evil: 1",
            "\n",
            "&x=1",
            "#frag",
            "../..",
            "/",
            "?q=1",
            "%2F",
            "'",
            "a b",
            "\u2028",
            "null",
            "12",
            "\U0001f600",
        ]
    ),
    st.text(min_size=1, max_size=40),
)
SKIP = {ScenarioId.AUTH_METHOD, ScenarioId.COMMON, ScenarioId.FOLLOW_UP_REQUESTS}
TEMPLATES = sorted(EXAMPLES.glob("*.xml")) + builtin_template_paths()
FIELDS = {
    "subdomain": "acme",
    "client_id": "c",
    "client_secret": "s",
    "domain": "d.example",
    "api_key": "k",
    "base_url": "https://g.example/api",
    "username": "u",
    "password": "p",
    "AccessToken": "t",
}


def cases() -> list[tuple[Path, str]]:
    found = []
    for path in TEMPLATES:
        template = load_valid_template(path.read_bytes(), str(path))
        found += [(path, s.id or "") for s in template.scenarios if s.id not in SKIP]
    return found


def answer(value: str, phone: str) -> dict[str, Any]:
    """One answer that fits every template: ids and names are the hostile value."""
    record = {
        "id": value,
        "first_name": value,
        "last_name": value,
        "phone": phone,
        "mobile": phone,
        "email": value,
        "url": value,
        "profile_url": value,
    }
    return {
        "contacts": [record],
        "customers": [record],
        "users": [record],
        "id": value,
        "ticket": {"id": value},
        "contact": {"id": value},
        "call": {"id": value},
        "phones": [{"type": "home", "number": value}],
        "links": {"next": None},
    }


async def run(template: HelpdeskTemplate, scenario: str, value: str) -> list[httpx.Request]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=answer(value, value))

    variables: dict[str, object] = {
        name: value for name in builtin_variables(scenario) if name not in NUMERIC_VARIABLES
    }
    variables.update({"StartTimeUnix": 1672531199, "Talk_Duration_Sec": 65})
    variables.pop("AccessToken", None)
    store = MemoryTokenStore(OAuthTokens("token-1", "refresh-1", obtained_at=time.time()))
    fields = {f.name: FIELDS.get(f.name, "x") for f in template.custom_fields}
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        connector = Connector(template, fields, store, http_client=client)
        await connector.run(scenario, variables)
    return sent


def same_shape(marked: object, hostile: object, value: str) -> bool:
    if isinstance(marked, str):
        if marked == MARK and not isinstance(hostile, str):  # a bare number/literal value
            return json.dumps(hostile) == value
        return hostile == marked.replace(MARK, value)
    if isinstance(marked, dict):
        keys = {k.replace(MARK, value): v for k, v in marked.items()}
        return (
            isinstance(hostile, dict)
            and keys.keys() == hostile.keys()
            and all(same_shape(keys[k], hostile[k], value) for k in keys)
        )
    if isinstance(marked, list):
        return (
            isinstance(hostile, list)
            and len(marked) == len(hostile)
            and all(same_shape(m, h, value) for m, h in zip(marked, hostile, strict=True))
        )
    return marked == hostile


@pytest.mark.parametrize(("path", "scenario"), cases(), ids=lambda c: getattr(c, "name", c))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=HOSTILE)
@example(value="x" * 10_000)
@example(value='"}],"admin":true,"x":[{"a":"')
def test_hostile_values_cannot_change_a_request(path: Path, scenario: str, value: str) -> None:
    template = load_valid_template(path.read_bytes(), str(path))
    marked = asyncio.run(run(template, scenario, MARK))
    try:
        hostile = asyncio.run(run(template, scenario, value))
    except TemplateRenderError:
        return  # refused before sending: allowed
    if marked and not hostile:
        return  # every URL rendered empty (e.g. a number without digits): nothing sent, allowed
    assert len(hostile) == len(marked)
    for good, bad in zip(marked, hostile, strict=True):
        assert bad.method == good.method
        assert (bad.url.scheme, bad.url.host) == (good.url.scheme, good.url.host)
        assert bad.url.raw_path.split(b"?")[0].count(b"/") == good.url.raw_path.split(b"?")[
            0
        ].count(b"/")
        assert [k for k, _ in bad.url.params.multi_items()] == [
            k for k, _ in good.url.params.multi_items()
        ]
        assert [k for k, _ in bad.headers.multi_items() if k != "content-length"] == [
            k for k, _ in good.headers.multi_items() if k != "content-length"
        ]
        assert not any("\r" in v or "\n" in v for _, v in bad.headers.multi_items())
        if good.content:
            assert same_shape(json.loads(good.content), json.loads(bad.content), value)
