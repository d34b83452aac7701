"""Compiling templates: what parses, what does not, and where the error points."""

from __future__ import annotations

import pytest

from deskline.errors import TemplateError
from deskline.templates.expressions import (
    KNOWN_FUNCTIONS,
    ExpressionSyntaxError,
    RenderContext,
    compile_template,
)


def render(source: str, **values: object) -> str:
    return compile_template(source).render(RenderContext(values))


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("Hi {{ Lower .Name }}", "unknown function 'Lower'", 6),
        ("{{ if .X }}yes", "{{if}} is never closed: {{end}} is missing", 0),
        ("{{ .X .Y }}", "only a function can take arguments; this value is followed by another", 6),
        ('{{ "abc }}', "unterminated string", 3),
        ("a{{ end }}", "unexpected {{end}}", 4),
        ("a{{ else }}", "unexpected {{else}}", 4),
        ("ab {{ .X ", "unclosed action: '}}' is missing", 3),
        ("{{ UrlEncode }}", "UrlEncode takes 1 argument, got 0", 3),
        ("{{ .X | UrlEncode .Y }}", "UrlEncode takes 1 argument, got 2", 8),
        ("{{ TimeFormat .T }}", "TimeFormat takes 2 to 3 arguments, got 1", 3),
        ("{{ .X | .Y }}", "a value can only be piped into a function", 8),
        ("{{ }}", "missing value in action", 3),
        ("{{ .X | }}", "missing command after '|'", 8),
        ("{{ (.X }}", "expected ')'", 7),
        ("{{ $x := 1 }}", "template variables ($name) are not supported", 3),
        ('{{ define "x" }}{{ end }}', "'define' is not supported", 3),
        (
            "{{ if .A }}{{ else }}{{ else }}{{ end }}",
            "expected {{end}}: {{if}} already has its {{else}}",
            24,
        ),
        ('{{ "a\\qb" }}', "invalid escape sequence in string", 5),
        ("{{ /* open", "unclosed comment", 3),
        ("{{ .X # }}", "unexpected character '#' in action", 6),
    ],
)
def test_syntax_errors_carry_message_and_offset(source: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_template(source)
    assert caught.value.message == message
    assert caught.value.offset == offset
    assert isinstance(caught.value, TemplateError)


def test_error_offset_points_into_a_multiline_body() -> None:
    source = '{\n  "subject": "{{.Subject}}",\n  "x": "{{ Upper .Y }}"\n}'
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_template(source)
    assert source[caught.value.offset :].startswith("Upper")


def test_variables_functions_and_constancy_are_reported() -> None:
    template = compile_template(
        "https://{{.domain}}/c?p={{UrlEncode .Phone}}{{if .Contact.id}}&x={{.Contact.id}}{{end}}"
        "{{with .Owner}}{{.name}}{{end}}{{ $.Root }}"
    )
    assert template.variables == {"domain", "Phone", "Contact", "Owner", "Root"}
    assert template.functions == {"UrlEncode"}
    assert not template.is_constant
    assert compile_template("plain text, no actions").is_constant
    assert compile_template("{{/* only a comment */}}text").is_constant


def test_compilation_is_cached() -> None:
    assert compile_template("{{.A}}-x") is compile_template("{{.A}}-x")


def test_known_functions_cover_the_vendor_four_and_go_builtins() -> None:
    vendor = {name for name, spec in KNOWN_FUNCTIONS.items() if spec.origin == "vendor"}
    assert vendor == {"TimeFormat", "ToMillis", "Capitalize", "UrlEncode"}
    assert {"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "len", "print", "printf",
            "index"} <= set(KNOWN_FUNCTIONS)  # fmt: skip
    assert all(spec.doc and spec.signature for spec in KNOWN_FUNCTIONS.values())


class TestLexicalForms:
    def test_whitespace_inside_actions_is_free(self) -> None:
        assert render("{{.A}}|{{ .A }}|{{\n.A\n}}", A="v") == "v|v|v"

    def test_trim_markers_remove_adjacent_whitespace(self) -> None:
        assert render("a  \n {{- .A -}} \n  b", A="v") == "avb"
        assert render("a {{- .A }} b", A="v") == "av b"
        assert render("a {{ .A -}} b", A="v") == "a vb"

    def test_a_dash_without_space_is_a_negative_number_not_a_trim(self) -> None:
        assert render("a {{-3}} b") == "a -3 b"

    def test_comments_vanish(self) -> None:
        assert render("a{{/* note */}}b {{- /* trimmed */ -}} c") == "abc"

    def test_go_string_escapes(self) -> None:
        assert render(r'{{ "tab\there \"q\" \\ \x41\u00e9\101" }}') == 'tab\there "q" \\ Aé' + "A"

    def test_raw_strings_keep_backslashes(self) -> None:
        assert render(r"{{ `a\nb` }}") == r"a\nb"

    def test_single_quoted_strings_as_in_the_vendor_examples(self) -> None:
        assert render("{{ printf '%s-%s' 'a' .B }}", B="b") == "a-b"

    def test_numbers_and_constants(self) -> None:
        assert render("{{ 42 }} {{ -1.5 }} {{ 0x1F }} {{ true }} {{ false }} [{{ nil }}]") == (
            "42 -1.5 31 true false []"
        )

    def test_text_braces_without_action_are_literal(self) -> None:
        assert render('{"a": {"b": 1}}') == '{"a": {"b": 1}}'
