"""deskline's phone-search functions: Digits and NationalNumber (docs/template-expressions.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskline.templates.expressions import RenderContext, RenderMode, compile_template
from deskline.templates.expressions.errors import ExpressionSyntaxError


def render(source: str, mode: RenderMode = RenderMode.TEXT, **values: object) -> str:
    return compile_template(source).render(RenderContext(values), mode)


class TestDigits:
    @pytest.mark.parametrize(
        ("given_value", "expected"),
        [
            ("+1 (513) 555-7611", "15135557611"),
            ("0049 30/123 456", "004930123456"),
            ("ext. 2005", "2005"),
            ("anonymous", ""),
            ("", ""),
            ("٣٤٥ 12", "12"),  # only ASCII digits: other scripts' digits are not phone digits
        ],
    )
    def test_keeps_only_the_digits(self, given_value: str, expected: str) -> None:
        assert render("{{Digits .P}}", P=given_value) == expected

    def test_a_number_value_gives_its_digits(self) -> None:
        assert render("{{Digits .P}}", P=15135557611) == "15135557611"

    def test_an_undefined_value_gives_nothing(self) -> None:
        assert render("[{{Digits .Missing}}]") == "[]"

    def test_takes_exactly_one_argument(self) -> None:
        with pytest.raises(ExpressionSyntaxError, match="Digits takes 1 argument"):
            compile_template("{{Digits .A .B}}")


class TestNationalNumber:
    @pytest.mark.parametrize(
        ("given_value", "expected"),
        [
            ("+15135557611", "5135557611"),
            ("+1 513.555.7611", "5135557611"),
            ("+4930123456", "30123456"),
            ("0049 30 123456", "30123456"),
            ("+44 20 7946 0958", "2079460958"),
            ("+39 06 1234 5678", "0612345678"),  # Italy keeps the leading 0
            ("030 123456", "30123456"),  # a national number: the trunk 0 goes
            ("(513) 555-7611", "5135557611"),
            ("5503309", "5503309"),
            ("+999", "999"),  # not a possible number: its digits
            ("anonymous", ""),
            ("", ""),
        ],
    )
    def test_the_digits_a_helpdesk_stored_the_number_with(
        self, given_value: str, expected: str
    ) -> None:
        assert render("{{NationalNumber .P}}", P=given_value) == expected

    def test_zendesk_search_query_for_any_stored_format(self) -> None:
        source = "https://x.example/search?query=phone%3A*{{NationalNumber .P}}"
        for dialled in ("+15135557611", "+1 (513) 555-7611", "5135557611"):
            assert render(source, RenderMode.URL, P=dialled).endswith("phone%3A*5135557611")

    def test_no_digits_means_an_empty_guard(self) -> None:
        source = "{{if NationalNumber .P}}https://x.example/{{NationalNumber .P}}{{end}}"
        assert render(source, RenderMode.URL, P="anonymous") == ""

    @given(st.text(max_size=40))
    def test_any_text_gives_ascii_digits_only(self, text: str) -> None:
        result = render("{{NationalNumber .P}}", P=text)
        assert result == "" or (result.isascii() and result.isdigit())
