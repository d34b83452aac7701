"""Comma-separated alternatives, variables inside paths, and JSONPath for "$" paths."""

from __future__ import annotations

import pytest

from deskline.templates.expressions import RenderContext, RenderMode, compile_template
from deskline.templates.paths import (
    PathSyntaxError,
    check_path,
    extract,
    extract_first,
    split_paths,
)

CONTACTS = {
    "data": [
        {"phone": "+111", "mobile": "", "street": "Main St 1"},
        {"phone": "+222", "mobile": "+333", "street": "Side St 2"},
    ]
}
SEED_FIELD = 'data.#(phone=="{{.Phone}}")#.street,data.#(mobile=="{{.Phone}}")#.street'


def field_for(phone: str) -> str:
    return compile_template(SEED_FIELD).render(RenderContext({"Phone": phone}), RenderMode.PATH)


class TestSplitPaths:
    def test_splits_at_top_level_commas_only(self) -> None:
        assert split_paths('a.#(x=="1,2")#.street, b.#(y=="1")#.street') == [
            'a.#(x=="1,2")#.street',
            'b.#(y=="1")#.street',
        ]

    def test_escaped_commas_and_bracketed_commas_stay(self) -> None:
        assert split_paths("a\\,b,$['x','y'],c") == ["a\\,b", "$['x','y']", "c"]

    def test_whitespace_and_empty_alternatives_are_dropped(self) -> None:
        assert split_paths(" $.data.access_token , $.tokens[0].value ,, ") == [
            "$.data.access_token",
            "$.tokens[0].value",
        ]

    def test_an_escaped_trailing_space_is_kept(self) -> None:
        assert split_paths("a\\ ,b") == ["a\\ ", "b"]


class TestExtractFirst:
    def test_the_seed_example_falls_back_to_the_second_path(self) -> None:
        assert extract_first(field_for("+111"), CONTACTS) == ["Main St 1"]
        assert extract_first(field_for("+333"), CONTACTS) == ["Side St 2"]
        assert extract_first(field_for("+999"), CONTACTS) is None

    def test_empty_results_do_not_win(self) -> None:
        document = {"a": "", "b": [], "c": {}, "d": 0}
        assert extract_first("a,b,c,d", document) == 0
        assert extract_first("missing,a", document) is None

    def test_a_phone_with_a_comma_cannot_split_the_field(self) -> None:
        document = {"data": [{"phone": "1,data.0", "street": "X"}]}
        assert extract_first(field_for("1,data.0"), document) == ["X"]


class TestJsonPath:
    DOC = {"data": {"access_token": "tok"}, "tokens": [{"value": "+4930"}, {"value": "b"}]}

    def test_single_match_is_the_value(self) -> None:
        assert extract("$.data.access_token", self.DOC) == "tok"
        assert extract("$.tokens[0].value", self.DOC) == "+4930"

    def test_several_matches_are_a_list_and_none_is_none(self) -> None:
        assert extract("$.tokens[*].value", self.DOC) == ["+4930", "b"]
        assert extract("$.nothing", self.DOC) is None

    def test_alternatives_mix_gjson_and_jsonpath(self) -> None:
        assert extract_first("$.missing, tokens.1.value", self.DOC) == "b"

    def test_syntax_errors_become_path_syntax_errors(self) -> None:
        with pytest.raises(PathSyntaxError) as caught:
            check_path("$.data[")
        assert caught.value.offset == len("$.data[")
        with pytest.raises(PathSyntaxError):
            extract("$.data[", self.DOC)
