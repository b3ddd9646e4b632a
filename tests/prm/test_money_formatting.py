"""The screen, the JSON of the commands and the exports show the same amount to the last minor unit,
for any amount and currency (property test): one rounding (half-up, ``prm.lib.money``) before
Babel lays out the digits."""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import pytest
from babel.numbers import parse_decimal
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from prm.exports import csv_rows
from prm.lib.money import MinorUnitsError, check_minor_units, format_amount_str, minor_units, quantize_money
from prm.templatetags.prm_tags import cell, cell_class, money

CURRENCIES = ["USD", "EUR", "GBP", "CHF", "JPY", "KRW", "KWD", "BHD", "TND", "CLP", "CLF", "ISK", "INR"]
LOCALES = {"en": ("en", "."), "de": ("de", ",")}
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False, allow_infinity=False
)


def _shown(text: str, locale: str) -> Decimal:
    """The number a person reads in ``money``'s output (symbol, grouping and sign stripped)."""
    number = re.search(r"\d[\d.,\u00a0\u202f'’]*\d|\d", text)
    assert number is not None, text
    value = parse_decimal(number.group(0).replace("\u202f", "\u00a0"), locale=locale, strict=False)
    return -value if ("-" in text or "−" in text) else value


def _decimals_shown(text: str, decimal_symbol: str) -> int:
    number = re.search(r"\d[\d.,\u00a0\u202f'’]*\d|\d", text).group(0)  # type: ignore[union-attr]
    return len(number.rsplit(decimal_symbol, 1)[1]) if decimal_symbol in number else 0


def _exported(amount: Decimal, currency: str) -> str:
    """The amount cell of a CSV export row (exports round with quantize_money, like the JSON)."""
    lines = list(
        csv.reader(
            "".join(
                csv_rows(["amount", "currency"], [[quantize_money(amount, currency), currency]])
            ).splitlines()
        )
    )
    return lines[1][0]


@settings(max_examples=400, deadline=None)
@given(amount=amounts, currency=st.sampled_from(CURRENCIES), locale=st.sampled_from(sorted(LOCALES)))
@example(amount=Decimal("0.125"), currency="USD", locale="en")  # Babel alone rounds half-even: 0.12
@example(amount=Decimal("2.5"), currency="JPY", locale="de")  # half-even would show 2
@example(amount=Decimal("1.0005"), currency="KWD", locale="en")
@example(amount=Decimal("-0.001"), currency="EUR", locale="de")  # no "-0,00"
def test_display_json_and_export_agree(amount, currency, locale):
    json_text = format_amount_str(amount, currency)
    export_text = _exported(amount, currency)
    with translation.override(locale):
        shown = str(money(amount, currency))
    babel_locale, decimal_symbol = LOCALES[locale]
    assert export_text == json_text
    assert _shown(shown, babel_locale) == Decimal(json_text), (shown, json_text)
    assert _decimals_shown(shown, decimal_symbol) == minor_units(currency), shown
    assert not json_text.startswith("-") or Decimal(json_text) != 0


@settings(max_examples=200, deadline=None)
@given(amount=amounts, currency=st.sampled_from(CURRENCIES))
def test_an_amount_fits_its_currency_exactly_when_rounding_leaves_it_unchanged(amount, currency):
    rounded = quantize_money(amount, currency)
    assert check_minor_units(rounded, currency) == rounded
    if rounded != amount:
        with pytest.raises(MinorUnitsError):
            check_minor_units(amount, currency)


def test_money_accepts_the_strings_of_json_figures():
    with translation.override("en"):
        assert money("1234.5", "USD") == "$1,234.50"
        assert money("1234.5", "JPY") == "¥1,235"
        assert money(None, "USD") == "—"


@pytest.mark.parametrize(
    ("value", "language", "shown"),
    [
        (Decimal("12345.50"), "en", "12,345.50"),
        (Decimal("12345.50"), "de", "12.345,50"),
        (Decimal("-1234567"), "en", "-1,234,567"),
        (Decimal("0.125"), "en", "0.125"),
        (1234567, "de", "1.234.567"),
        (None, "en", "—"),
        ("EMEA", "en", "EMEA"),
    ],
)
def test_report_cells_group_numbers_the_readers_way_and_keep_their_decimals(value, language, shown):
    with translation.override(language):
        assert cell(value) == shown


@given(value=amounts, language=st.sampled_from(sorted(LOCALES)))
@settings(max_examples=200, deadline=None)
def test_a_report_cell_reads_back_as_the_same_number(value, language):
    with translation.override(language):
        assert _shown(cell(value), LOCALES[language][0]) == value


def test_report_cells_keep_numbers_and_short_codes_on_one_line():
    assert cell_class(Decimal("12345.50")) == "text-end text-nowrap"
    assert cell_class(7) == "text-end text-nowrap"
    assert cell_class("2026-11") == "text-nowrap"
    assert cell_class("Northwind Distribution") == ""
    assert cell_class(None) == ""
