"""Context-aware rendering: values cannot change the structure of a body, URL, header or path."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from deskline.errors import TemplateRenderError
from deskline.templates.expressions import RenderContext, RenderMode, compile_template
from deskline.templates.paths import extract


def render(source: str, mode: RenderMode, trusted: set[str] | None = None, **values: object) -> str:
    context = RenderContext(values, trusted=frozenset(trusted or ()))
    return compile_template(source).render(context, mode)


class TestJsonBodies:
    def test_values_inside_strings_are_json_escaped(self) -> None:
        body = render('{"subject":"{{.Subject}}"}', RenderMode.JSON,
                      Subject='He said "hi" \\ \n\t\u2028 {{.X}}')  # fmt: skip
        assert json.loads(body) == {"subject": 'He said "hi" \\ \n\t\u2028 {{.X}}'}
        assert "\u2028" not in body  # JavaScript-hostile separators are escaped too

    def test_value_outside_a_string_goes_in_as_a_number_when_it_is_one(self) -> None:
        body = render('{"requester_id":{{.ContactId}}}', RenderMode.JSON, ContactId=4711)
        assert json.loads(body) == {"requester_id": 4711}

    @pytest.mark.parametrize("literal", ["true", "false", "null", "-1.5e3", "0"])
    def test_json_literals_outside_strings_stay_literals(self, literal: str) -> None:
        body = render('{"v":{{.V}}}', RenderMode.JSON, V=literal)
        assert json.loads(body) == {"v": json.loads(literal)}

    @pytest.mark.parametrize(
        "value", ["+4930123456", "0301234", '1, "admin": true', "", "1 2", "NaN", "{}"]
    )
    def test_anything_else_outside_a_string_is_quoted(self, value: str) -> None:
        body = render('{"v":{{.V}}}', RenderMode.JSON, V=value)
        assert json.loads(body) == {"v": value}

    def test_phone_numbers_stay_strings(self) -> None:
        body = render('{"phone":"{{.Phone}}","id":{{.Phone}}}', RenderMode.JSON,
                      Phone="+4930123456")  # fmt: skip
        assert json.loads(body) == {"phone": "+4930123456", "id": "+4930123456"}

    def test_trusted_values_are_escaped_inside_strings_too(self) -> None:
        body = render('{"password":"{{.password}}"}', RenderMode.JSON, {"password"},
                      password='pa"ss\\word')  # fmt: skip
        assert json.loads(body) == {"password": 'pa"ss\\word'}

    def test_a_value_as_key(self) -> None:
        source = '{"data":[{"{{.Owner}}{{.WhoModule}}":{"Subject":"{{.Subject}}"}}]}'
        body = render(source, RenderMode.JSON, Owner='o"', WhoModule="Who", Subject="s")
        assert json.loads(body) == {"data": [{'o"Who': {"Subject": "s"}}]}

    def test_a_body_that_does_not_parse_names_the_problem(self) -> None:
        with pytest.raises(TemplateRenderError, match=r"does not parse: .*line 1, column"):
            render('{"a": "{{.A}}",}', RenderMode.JSON, A="x")

    def test_the_error_does_not_leak_values(self) -> None:
        with pytest.raises(TemplateRenderError) as caught:
            render('{"a": "{{.A}}" "b"}', RenderMode.JSON, A="s3cr3t")
        assert "s3cr3t" not in str(caught.value)

    def test_a_value_after_a_backslash_is_refused(self) -> None:
        with pytest.raises(TemplateRenderError, match=r"\.A follows a backslash"):
            render('{"a": "x\\{{.A}}"}', RenderMode.JSON, A='"')

    def test_an_empty_body_means_no_body(self) -> None:
        assert render('{{if .Send}}{"a":1}{{end}}', RenderMode.JSON) == ""

    def test_lone_surrogates_are_escaped_not_emitted(self) -> None:
        body = render('{"a":"{{.A}}"}', RenderMode.JSON, A="x\ud800y")
        body.encode("utf-8")  # would raise on a raw lone surrogate
        assert json.loads(body) == {"a": "x\ud800y"}


class TestUrls:
    SOURCE = "https://{{.domain}}/api/contacts/{{.Id}}/phones?phone={{.Phone}}&type={{.Type}}"

    def test_untrusted_values_are_percent_encoded_where_they_land(self) -> None:
        url = render(self.SOURCE, RenderMode.URL, {"domain"}, domain="acme.example.com",
                     Id="../admin", Phone="+49 30 12", Type="a&b=c#d")  # fmt: skip
        assert url == (
            "https://acme.example.com/api/contacts/..%2Fadmin/phones"
            "?phone=%2B49%2030%2012&type=a%26b%3Dc%23d"
        )
        parts = urlsplit(url)
        assert parse_qs(parts.query) == {"phone": ["+49 30 12"], "type": ["a&b=c#d"]}

    def test_trusted_values_go_in_as_entered(self) -> None:
        url = render("{{.base_url}}/tickets?key={{.api_key}}&q={{.Q}}", RenderMode.URL,
                     {"base_url", "api_key"}, base_url="https://x.example/v2",
                     api_key="k/1+2", Q="a b")  # fmt: skip
        assert url == "https://x.example/v2/tickets?key=k/1+2&q=a%20b"

    def test_url_encode_output_is_not_encoded_twice(self) -> None:
        url = render("https://h/s?p={{UrlEncode .Phone}}&q={{.Phone | UrlEncode}}", RenderMode.URL,
                     Phone="+49 30")  # fmt: skip
        assert url == "https://h/s?p=%2B49%2030&q=%2B49%2030"

    @pytest.mark.parametrize("dots", [".", ".."])
    def test_dot_segments_cannot_climb(self, dots: str) -> None:
        url = render("https://h/a/{{.X}}/b", RenderMode.URL, X=dots)
        assert url == "https://h/a/" + "%2E" * len(dots) + "/b"

    def test_a_dot_inside_a_name_is_kept(self) -> None:
        assert render("https://h/u/{{.X}}", RenderMode.URL, X="john.doe") == "https://h/u/john.doe"

    def test_untrusted_value_in_the_host_cannot_add_a_path_or_credentials(self) -> None:
        url = render("https://{{.Sub}}.example.com/x", RenderMode.URL, Sub="evil.com/@a:b?")
        parts = urlsplit(url)
        assert (parts.username, parts.path, parts.query) == (None, "/x", "")
        assert parts.netloc == "evil.com%2F%40a%3Ab%3F.example.com"


class TestHeaders:
    def test_plain_values_render(self) -> None:
        assert render("Bearer {{.AccessToken}}", RenderMode.HEADER, AccessToken="abc") == (
            "Bearer abc"
        )

    @pytest.mark.parametrize("bad", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b", "a\x7fb"])
    def test_line_breaks_and_controls_raise(self, bad: str) -> None:
        with pytest.raises(TemplateRenderError, match=r"\.AccessToken contains a line break"):
            render("Bearer {{.AccessToken}}", RenderMode.HEADER, AccessToken=bad)

    def test_trusted_values_are_checked_too(self) -> None:
        with pytest.raises(TemplateRenderError):
            render("{{.key}}", RenderMode.HEADER, {"key"}, key="a\r\nb")


class TestPaths:
    DOCUMENT = {"data": [{"phone": "x", "id": 1}, {"phone": '+1 "2" \\ .#|*?,', "id": 2}]}

    def test_values_inside_query_strings_are_escaped(self) -> None:
        path = render('data.#(phone=="{{.Phone}}").id', RenderMode.PATH,
                      Phone='+1 "2" \\ .#|*?,')  # fmt: skip
        assert extract(path, self.DOCUMENT) == 2

    def test_values_outside_strings_are_literal_keys(self) -> None:
        document = {"fields": {"a.b|c*": "literal", "a": {"b": "structure"}}}
        path = render("fields.{{.Key}}", RenderMode.PATH, Key="a.b|c*")
        assert path == "fields.a\\.b\\|c\\*"
        assert extract(path, document) == "literal"


def test_text_mode_is_plain() -> None:
    assert render('{"a":"{{.A}}"}', RenderMode.TEXT, A='"') == '{"a":"""}'


def test_a_mode_given_by_its_value_escapes_as_the_mode_itself() -> None:
    hostile = 'a "b" {{.X}}\r\n'
    for mode in RenderMode:
        source = '{"s":"{{.V}}"}' if mode is RenderMode.JSON else "x/{{.V}}"
        if mode is RenderMode.HEADER:
            with pytest.raises(TemplateRenderError):
                render(source, mode.value, V=hostile)  # type: ignore[arg-type]
            continue
        assert render(source, mode.value, V=hostile) == render(source, mode, V=hostile)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a valid RenderMode"):
        render("x", "yaml", V=hostile)  # type: ignore[arg-type]
