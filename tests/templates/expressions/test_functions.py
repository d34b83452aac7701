"""The vendor's four functions: TimeFormat (tokens, zones, UTC flag), ToMillis, Capitalize,
UrlEncode."""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

import pytest

from deskline.errors import TemplateRenderError
from deskline.templates.expressions import RenderContext, compile_template

NEW_YEAR_EVE = 1672531199  # 2022-12-31T23:59:59Z
SUMMER = 1688214896  # 2023-07-01T12:34:56Z (a Saturday)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def render(source: str, tz: tzinfo = UTC, **values: object) -> str:
    return compile_template(source).render(RenderContext(values, tz=tz))


class TestTimeFormatVendorExamples:
    def test_the_vendor_example_gives_the_correct_utc_time(self) -> None:
        # The vendor's documentation prints 2023-01-01T00:59:59.000Z here, an hour off.
        source = '{{ TimeFormat .StartTimeUnix "yyyy-MM-ddTHH:mm:ss.000Z" "1" }}'
        assert render(source, tz=BERLIN, StartTimeUnix=NEW_YEAR_EVE) == "2022-12-31T23:59:59.000Z"

    def test_format_with_a_literal_offset(self) -> None:
        source = '{{ TimeFormat .StartTimeUnix "yyyy-MM-dd HH:mm:ss +0000" "1"}}'
        assert render(source, tz=BERLIN, StartTimeUnix=NEW_YEAR_EVE) == "2022-12-31 23:59:59 +0000"

    def test_single_quoted_arguments_from_the_call_journal_example(self) -> None:
        source = "{{TimeFormat .StartTimeUnix 'yyyy-MM-ddTHH:mm:ss' '1'}}"
        assert render(source, StartTimeUnix=str(NEW_YEAR_EVE)) == "2022-12-31T23:59:59"


class TestTimeFormatZones:
    def test_without_the_utc_flag_the_pbx_zone_is_used(self) -> None:
        source = '{{ TimeFormat .T "yyyy-MM-dd HH:mm:ss zzz" "0" }}'
        assert render(source, tz=BERLIN, T=NEW_YEAR_EVE) == "2023-01-01 00:59:59 +01:00"
        assert render(source, tz=BERLIN, T=SUMMER) == "2023-07-01 14:34:56 +02:00"
        assert render(source, tz=NEW_YORK, T=NEW_YEAR_EVE) == "2022-12-31 18:59:59 -05:00"

    def test_a_missing_flag_also_means_the_pbx_zone(self) -> None:
        assert render('{{ TimeFormat .T "HH:mm" }}', tz=BERLIN, T=NEW_YEAR_EVE) == "00:59"

    @pytest.mark.parametrize(
        ("layout", "expected"),
        [("z", "-5"), ("zz", "-05"), ("zzz", "-05:00"), ("Z", "-05:00"), ("K", "-05:00")],
    )
    def test_offset_tokens_in_a_zone(self, layout: str, expected: str) -> None:
        source = f'{{{{ TimeFormat .T "{layout}" "0" }}}}'
        assert render(source, tz=NEW_YORK, T=NEW_YEAR_EVE) == expected

    @pytest.mark.parametrize(
        ("layout", "expected"), [("z", "+0"), ("zz", "+00"), ("zzz", "+00:00"), ("Z", "Z")]
    )
    def test_offset_tokens_in_utc(self, layout: str, expected: str) -> None:
        assert render(f'{{{{ TimeFormat .T "{layout}" "1" }}}}', tz=BERLIN, T=SUMMER) == expected


class TestTimeFormatTokens:
    @pytest.mark.parametrize(
        ("layout", "expected"),
        [
            ("yyyy yy y", "2023 23 23"),
            ("MMMM MMM MM M", "July Jul 07 7"),
            ("dddd ddd dd d", "Saturday Sat 01 1"),
            ("HH H hh h tt t", "12 12 12 12 PM P"),
            ("mm m ss s", "34 34 56 56"),
            ("yyyy-MM-dd'T'HH:mm:ss", "2023-07-01T12:34:56"),
            ("\\y\\e\\a\\r yyyy", "year 2023"),
            ("ss.fff ss.SSS ss.000 ss.0", "56.000 56.000 56.000 56.0"),
            ("at HH", "aP 12"),  # like .NET, an unquoted "t" is the AM/PM marker
        ],
    )
    def test_token(self, layout: str, expected: str) -> None:
        assert render('{{ TimeFormat .T .L "1" }}', T=SUMMER, L=layout) == expected

    def test_fractions_of_a_float_time(self) -> None:
        source = '{{ TimeFormat .T "HH:mm:ss.fff|.000|ff" "1" }}'
        assert render(source, T=SUMMER + 0.25) == "12:34:56.250|.250|25"

    def test_morning_hours_in_twelve_hour_format(self) -> None:
        assert render('{{ TimeFormat .T "h:mm tt" "1" }}', T=SUMMER - 12 * 3600) == "12:34 AM"

    def test_empty_time_renders_empty(self) -> None:
        assert render('[{{ TimeFormat .Missing "yyyy" "1" }}]') == "[]"

    def test_garbage_time_is_a_clear_error(self) -> None:
        with pytest.raises(TemplateRenderError, match="TimeFormat: expected a number"):
            render('{{ TimeFormat .T "yyyy" "1" }}', T="yesterday")

    def test_out_of_range_time_is_a_clear_error(self) -> None:
        with pytest.raises(TemplateRenderError, match="out of range"):
            render('{{ TimeFormat .T "yyyy" "1" }}', T=10**20)


class TestOtherVendorFunctions:
    def test_to_millis(self) -> None:
        assert render("{{ ToMillis .T }}", T=NEW_YEAR_EVE) == "1672531199000"
        assert render("{{ ToMillis .T }}", T="1.5") == "1500"
        assert render("[{{ ToMillis .Missing }}]") == "[]"

    def test_capitalize(self) -> None:
        assert render("{{ Capitalize .S }}", S="inbound call") == "Inbound call"
        assert render("{{ Capitalize .S }}", S="élan") == "Élan"
        assert render("[{{ Capitalize .S }}]", S="") == "[]"

    def test_url_encode(self) -> None:
        assert render('{{ UrlEncode "hello world!" }}') == "hello%20world%21"
        assert render("{{ UrlEncode .S }}", S="+49 30/1?a=b&c#d~._-") == (
            "%2B49%2030%2F1%3Fa%3Db%26c%23d~._-"
        )
        assert render("{{ UrlEncode .S }}", S="Müller") == "M%C3%BCller"
