"""Phone numbers (F27): E.164 forms, extensions, anonymous callers, search variants; a
normaliser remembers what it worked out, per default country, without sharing mutable state."""

from __future__ import annotations

import pytest

from deskline.phones import NumberNormaliser, last_digits, shared_normaliser


@pytest.mark.parametrize(
    ("raw", "e164", "extension"),
    [
        ("+1 513-555-7611", "+15135557611", False),
        ("0015135557611", "+15135557611", False),
        ("(513) 555-7611", "+15135557611", False),
        ("2005", None, True),
        ("anonymous", None, False),
        ("", None, False),
        ("not a number", None, False),
    ],
)
def test_numbers_are_normalised_with_the_default_country(
    raw: str, e164: str | None, extension: bool
) -> None:
    number = NumberNormaliser("US").normalise(raw)
    assert number.e164 == e164
    assert number.is_extension is extension
    assert number.raw == raw.strip()


def test_the_same_national_number_differs_by_default_country() -> None:
    us, gb = NumberNormaliser("US"), NumberNormaliser("GB")
    assert us.normalise("020 7946 0018").e164 is None
    assert gb.normalise("020 7946 0018").e164 == "+442079460018"
    assert us.normalise("(513) 555-7611").e164 == "+15135557611"
    assert gb.normalise("(513) 555-7611").e164 != "+15135557611"


def test_variants_cover_the_forms_a_helpdesk_stores() -> None:
    normaliser = NumberNormaliser("US")
    assert normaliser.variants("+1 513-555-7611") == [
        "+15135557611",
        "15135557611",
        "(513) 555-7611",
        "5135557611",
    ]
    assert normaliser.variants("2005") == ["2005"]


def test_a_changed_answer_does_not_change_the_next_one() -> None:
    normaliser = NumberNormaliser("US")
    first = normaliser.variants("+15135557611")
    first.clear()
    assert normaliser.variants("+15135557611")[0] == "+15135557611"
    assert normaliser.normalise(None) == normaliser.normalise("")


def test_last_digits() -> None:
    assert last_digits("+1 (513) 555-7611") == "5557611"
    assert last_digits("12", 7) == "12"


def test_one_shared_normaliser_per_country_and_extension_pattern() -> None:
    from deskline.pbx.webhook.translate import WebhookTranslator

    assert shared_normaliser("DE") is shared_normaliser("DE")
    assert shared_normaliser("DE") is not shared_normaliser("FR")
    assert shared_normaliser("DE", r"^\d{3}$") is not shared_normaliser("DE")
    assert shared_normaliser("de").normalise("030 1234567").e164 == "+49301234567"
    # a translator made per webhook request uses it, and so keeps its caches
    assert WebhookTranslator("DE")._numbers is WebhookTranslator("DE")._numbers
