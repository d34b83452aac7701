"""Property tests: hostile values never change the structure of what they are rendered into."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, unquote, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskline.errors import TemplateRenderError
from deskline.templates.expressions import RenderContext, RenderMode, compile_template
from deskline.templates.paths import PathSyntaxError, extract

_FRAGMENTS = [
    '"', "'", "\\", "{{", "}}", "{{.Secret}}", "\r\n", "\n", "\r", "&", "#", "../", "..", "/",
    "?", "=", "%", "%2F", "+", " ", ",", ".", "|", "*", "@", "(", ")", '\\"', "\u2028",
    "\u2029", "\x00", "\x1b", "é", "😀", "true", "1", "-0.5", "null", ":", ";",
]  # fmt: skip
_ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
HOSTILE = st.one_of(
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), _ANY_TEXT), max_size=12).map("".join),
    _ANY_TEXT,
    st.tuples(st.sampled_from(_FRAGMENTS), _ANY_TEXT).map(lambda p: (p[0] + p[1]) * 400),
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_JSON_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def render(source: str, mode: RenderMode, **values: object) -> str:
    context = RenderContext(values, trusted=frozenset({"domain"}))
    return compile_template(source).render(context, mode)


@PROPERTY
@given(value=HOSTILE)
def test_json_body_parses_with_the_value_intact(value: str) -> None:
    source = '{"subject":"Call from {{.V}}","raw":{{.V}},"map":{"{{.V}}":[1,"{{.V}}"]}}'
    body = json.loads(render(source, RenderMode.JSON, V=value))
    assert body["subject"] == "Call from " + value
    assert body["map"] == {value: [1, value]}
    if _JSON_SCALAR.fullmatch(value):
        assert body["raw"] == json.loads(value)
    else:
        assert body["raw"] == value
    assert set(body) == {"subject", "raw", "map"}


@PROPERTY
@given(segment=HOSTILE, query=HOSTILE, encoded=HOSTILE)
def test_url_structure_is_unchanged_and_values_decode_back(
    segment: str, query: str, encoded: str
) -> None:
    source = (
        "https://{{.domain}}/api/contacts/{{.Id}}/phones"
        "?phone={{.Phone}}&raw={{UrlEncode .Enc}}&type=mobile#top"
    )
    url = render(source, RenderMode.URL, domain="desk.example.com", Id=segment, Phone=query,
                 Enc=encoded)  # fmt: skip
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.fragment) == ("https", "desk.example.com", "top")
    segments = parts.path.split("/")
    assert len(segments) == 5
    assert segments[:3] == ["", "api", "contacts"] and segments[4] == "phones"
    assert unquote(segments[3]) == segment
    assert segments[3] not in (".", "..")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    assert [key for key, _ in pairs] == ["phone", "raw", "type"]
    assert pairs[0][1] == query and pairs[1][1] == encoded and pairs[2][1] == "mobile"


@PROPERTY
@given(value=HOSTILE)
def test_header_renders_without_line_breaks_or_raises(value: str) -> None:
    try:
        header = render("Bearer {{.Token}}", RenderMode.HEADER, Token=value)
    except TemplateRenderError:
        assert re.search("[\x00-\x08\x0a-\x1f\x7f]", value)
        return
    assert "\r" not in header and "\n" not in header
    assert header == "Bearer " + value


@PROPERTY
@given(value=HOSTILE, decoy=HOSTILE)
def test_path_query_selects_the_matching_record_only(value: str, decoy: str) -> None:
    if decoy == value:
        decoy += "x"
    document = {"data": [{"phone": decoy, "id": 1}, {"phone": value, "id": 2}]}
    path = render('data.#(phone=="{{.Phone}}").id', RenderMode.PATH, Phone=value)
    assert extract(path, document) == 2


@PROPERTY
@given(value=HOSTILE)
def test_path_key_selects_exactly_that_key(value: str) -> None:
    decoys = {"a": {"b": "structure"}, "x": "miss"}
    document = {"data": {**{k: v for k, v in decoys.items() if k != value}, value: "hit"}}
    document["id"] = "root"
    path = render("data.{{.Key}}", RenderMode.PATH, Key=value)
    try:
        assert extract(path, document) == "hit"
    except PathSyntaxError:
        assert value == ""  # "data." is not a path; nothing else is refused
