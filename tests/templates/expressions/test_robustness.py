"""Bad input gets a clear deskline error, never an unexpected exception."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskline.errors import TemplateRenderError
from deskline.templates.expressions import (
    ExpressionSyntaxError,
    RenderContext,
    RenderMode,
    compile_template,
)
from deskline.templates.paths import PathSyntaxError, check_path, extract

FUZZ = settings(max_examples=150, deadline=None)
_TEMPLATE_PIECES = st.sampled_from(
    ["{{", "}}", "{{-", "-}}", " ", ".A", ".B.c", "$", ".", "(", ")", "|", '"x"', "'y'", "`z`",
     "if", "else", "end", "with", "range", "eq", "printf", '"%d"', "UrlEncode", "TimeFormat",
     "ToMillis", "len", "index", "1", "-2.5", "nil", "true", "/*", "*/", "\\", "\n", "text"]
)  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(st.lists(_TEMPLATE_PIECES, max_size=25).map(" ".join) | st.text(max_size=60))
def test_any_source_compiles_or_raises_a_syntax_error(source: str) -> None:
    try:
        compile_template(source)
    except ExpressionSyntaxError as exc:
        assert 0 <= exc.offset <= len(source)


@FUZZ
@given(a=JSON_VALUES, b=JSON_VALUES, mode=st.sampled_from(list(RenderMode)))
def test_any_values_render_or_raise_a_render_error(a: object, b: object, mode: RenderMode) -> None:
    source = (
        '{"t":"{{ TimeFormat .A "yyyy-MM-dd" .B }}","m":"{{ ToMillis .A }}",'
        '"c":"{{ Capitalize .A }}","u":"{{ UrlEncode .B }}","e":"{{ eq .A .B }}",'
        '"l":"{{ lt .A .B }}","n":"{{ len .A }}","i":"{{ index .A .B }}",'
        '"p":"{{ printf "%d %s %5.2f %x %q" .A .B .A .B .A }}",'
        '"r":"{{ range .A }}{{ . }}{{ end }}","w":"{{ with .B }}{{ .x }}{{ end }}","v":{{ .A }}}'
    )
    with contextlib.suppress(TemplateRenderError):
        compile_template(source).render(RenderContext({"A": a, "B": b}), mode)


@FUZZ
@given(st.text(alphabet='ab.#()|@*?\\"=!<>%,$[]{} 01', max_size=30))
def test_any_path_checks_or_raises_a_path_syntax_error(path: str) -> None:
    try:
        check_path(path)
    except PathSyntaxError as exc:
        assert 0 <= exc.offset <= len(path)
        return
    for alternative in path.split(","):
        with contextlib.suppress(PathSyntaxError):
            extract(alternative, {"a": [{"b": 1}, {"a": "x"}], "b": {"a": None}})


def test_deep_nesting_is_refused_clearly() -> None:
    with pytest.raises(ExpressionSyntaxError, match="nested more than"):
        compile_template("{{ " + "(" * 500 + ".A" + ")" * 500 + " }}")
    with pytest.raises(ExpressionSyntaxError, match="nested more than"):
        compile_template("{{if .A}}" * 500 + "{{end}}" * 500)
    with pytest.raises(PathSyntaxError, match="nested more than"):
        check_path("a" + ".#(b" * 100 + "==1)" + ")" * 99)
    with pytest.raises(PathSyntaxError, match="at most"):
        check_path(".".join(["a"] * 1000))
