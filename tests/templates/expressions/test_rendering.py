"""Rendering in TEXT mode: fields, conditions, pipelines, scopes and the Go built-ins."""

from __future__ import annotations

import pytest

from deskline.errors import TemplateRenderError
from deskline.templates.expressions import RenderContext, compile_template


def render(source: str, **values: object) -> str:
    return compile_template(source).render(RenderContext(values))


class TestFields:
    def test_variables_are_replaced(self) -> None:
        subject = "{{.Communication_Type}} {{.Call_Status}} - from {{.Call_From}} to {{.Call_To}}"
        assert (
            render(
                subject,
                Communication_Type="Inbound",
                Call_Status="Answered",
                Call_From="Alice<+4930123456>",
                Call_To="<200>",
            )
            == "Inbound Answered - from Alice<+4930123456> to <200>"
        )

    def test_undefined_variables_render_empty(self) -> None:
        assert render("[{{.Missing}}] [{{.Also.Deeper}}]") == "[] []"

    def test_nested_fields_read_dict_values(self) -> None:
        assert render("{{.Contact.address.city}}", Contact={"address": {"city": "Bonn"}}) == "Bonn"

    def test_fields_never_read_attributes_of_non_dict_values(self) -> None:
        assert render("[{{.Name.upper}}] [{{.Name.__class__}}]", Name="bob") == "[] []"

    def test_values_keep_their_text_form(self) -> None:
        assert render("{{.Phone}} {{.N}} {{.F}} {{.B}} {{.Nothing}}|", Phone="+4930123456",
                      N=7, F=2.0, B=True, Nothing=None) == "+4930123456 7 2 true |"  # fmt: skip

    def test_lists_and_maps_print_like_go(self) -> None:
        assert render("{{.L}} {{.M}}", L=["a", 1], M={"b": 2, "a": None}) == (
            "[a 1] map[a:<nil> b:2]"
        )

    def test_a_value_is_data_never_template(self) -> None:
        assert render("Hi {{.Name}}", Name="{{.Secret}} {{ printf }}", Secret="x") == (
            "Hi {{.Secret}} {{ printf }}"
        )


class TestConditions:
    SOURCE = (
        '{{ if eq .Status "Answered" }}talked'
        '{{ else if eq .Status "Busy" }}busy'
        "{{ else if .Voicemail }}voicemail"
        "{{ else }}missed{{ end }}"
    )

    @pytest.mark.parametrize(
        ("values", "expected"),
        [
            ({"Status": "Answered"}, "talked"),
            ({"Status": "Busy"}, "busy"),
            ({"Status": "No Answer", "Voicemail": "1"}, "voicemail"),
            ({"Status": "No Answer"}, "missed"),
        ],
    )
    def test_else_if_chains(self, values: dict[str, object], expected: str) -> None:
        assert render(self.SOURCE, **values) == expected

    @pytest.mark.parametrize("falsy", ["", 0, 0.0, False, None, [], {}])
    def test_go_truthiness_false(self, falsy: object) -> None:
        assert render("{{if .V}}yes{{else}}no{{end}}", V=falsy) == "no"

    @pytest.mark.parametrize("truthy", ["0", " ", 1, -1, 0.5, True, [0], {"a": None}])
    def test_go_truthiness_true(self, truthy: object) -> None:
        assert render("{{if .V}}yes{{else}}no{{end}}", V=truthy) == "yes"

    def test_nested_if(self) -> None:
        source = "{{if .A}}A{{if .B}}B{{else}}b{{end}}{{else}}{{if .B}}-B{{end}}{{end}}"
        assert render(source, A=1, B=1) == "AB"
        assert render(source, A=1) == "Ab"
        assert render(source, B=1) == "-B"
        assert render(source) == ""

    def test_empty_url_means_skip(self) -> None:
        source = "{{if .RecordPath}}https://x/rec?u={{.RecordPath}}{{end}}"
        assert render(source) == ""
        assert render(source, RecordPath="r1") == "https://x/rec?u=r1"


class TestPipelines:
    def test_piped_value_is_the_last_argument(self) -> None:
        assert render("{{ .Phone | UrlEncode }}", Phone="+49 30") == "%2B49%2030"
        assert render('{{ .N | printf "%s=%d" "n" }}', N=5) == "n=5"

    def test_chains_and_parenthesised_calls(self) -> None:
        assert render("{{ .Name | Capitalize | UrlEncode }}", Name="jo ann") == "Jo%20ann"
        assert render('{{ printf "%s/%s" (UrlEncode .A) (Capitalize .B) }}', A="a b", B="x") == (
            "a%20b/X"
        )

    def test_function_name_as_argument_is_called_without_arguments(self) -> None:
        assert render("{{ len (print) }}") == "0"


class TestScopes:
    def test_range_over_a_list_sets_dot(self) -> None:
        source = "{{range .Phones}}[{{.type}}:{{.value}}]{{else}}none{{end}}"
        phones = [{"type": "mobile", "value": "1"}, {"type": "work", "value": "2"}]
        assert render(source, Phones=phones) == "[mobile:1][work:2]"
        assert render(source, Phones=[]) == "none"
        assert render(source) == "none"

    def test_range_over_a_map_visits_values_in_key_order(self) -> None:
        assert render("{{range .M}}{{.}},{{end}}", M={"b": 2, "a": 1}) == "1,2,"

    def test_with_sets_dot_and_dollar_is_the_root(self) -> None:
        source = "{{with .Contact}}{{.name}} of {{$.Company}}{{else}}nobody{{end}}"
        assert render(source, Contact={"name": "Ann"}, Company="ACME") == "Ann of ACME"
        assert render(source, Company="ACME") == "nobody"

    def test_range_over_a_scalar_is_a_render_error(self) -> None:
        with pytest.raises(TemplateRenderError, match="range: cannot iterate over a number"):
            render("{{range .N}}x{{end}}", N=3)


class TestBuiltins:
    @pytest.mark.parametrize(
        ("source", "expected"),
        [
            ('{{ eq .S "a" }}', "true"),
            ('{{ eq .S "b" "c" "a" }}', "true"),
            ('{{ eq .N "42" }}', "true"),  # a helpdesk number compared with a template string
            ("{{ eq .N 42.0 }}", "true"),
            ('{{ ne .S "a" }}', "false"),
            ("{{ lt .N 100 }}", "true"),
            ('{{ lt "10" "9" }}', "false"),  # numeric strings compare as numbers
            ('{{ lt "abc" "abd" }}', "true"),
            ("{{ le 3 3 }} {{ gt 4 3 }} {{ ge 2 3 }}", "true true false"),
            ('{{ and 1 "x" 0 }}|{{ and 1 "x" }}', "0|x"),
            ('{{ or "" 0 "y" }}|{{ or "" 0 }}', "y|0"),
            ("{{ not .Missing }} {{ not .S }}", "true false"),
            ("{{ len .S }} {{ len .L }} {{ len .Missing }}", "1 3 0"),
            ('{{ index .L 1 }}|{{ index .L 9 }}|{{ index .M "k" }}', "b||v"),
            ('{{ print "a" 1 2 "b" }}', "a1 2b"),
            (
                '{{ printf "%05d|%-4s|%.2f|%x|%q|%v%%" 42 "ab" 3.14159 255 "q\\"" .S }}',
                '00042|ab  |3.14|ff|"q\\""|a%',
            ),
            ('{{ printf "%s %s" "only" }}', "only %!s(MISSING)"),
        ],
    )
    def test_builtin(self, source: str, expected: str) -> None:
        assert render(source, S="a", N=42, L=["a", "b", "c"], M={"k": "v"}) == expected

    def test_printf_refuses_huge_widths_and_unknown_verbs(self) -> None:
        with pytest.raises(TemplateRenderError, match="limited to 64"):
            render('{{ printf "%1000000s" "x" }}')
        with pytest.raises(TemplateRenderError, match="unsupported verb"):
            render('{{ printf "%n" "x" }}')

    def test_len_of_a_number_is_a_clear_error(self) -> None:
        with pytest.raises(TemplateRenderError, match="len: cannot take the length of a number"):
            render("{{ len 5 }}")


def test_output_size_is_bounded() -> None:
    big = "x" * 200_000
    with pytest.raises(TemplateRenderError, match="longer than"):
        render("{{range .L}}{{$.Big}}{{end}}", L=list(range(10)), Big=big)


def test_render_error_messages_do_not_contain_values() -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render('{{ TimeFormat .T "yyyy" }}', T="s3cr3t-password")
    assert "s3cr3t" not in str(caught.value)
