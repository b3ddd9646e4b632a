"""Reference imports read numbers the way partners and ERPs write them, and refuse ambiguity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from prm.lib.import_widgets import parse_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.9213", "0.9213"),
        ("0,9213", "0.9213"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1.234.567", "1234567"),
        ("-12,5", "-12.5"),
        ("162.5", "162.5"),
        (" 7 ", "7"),
    ],
)
def test_number_formats_are_read(text, expected):
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["1,234", "12,345,678", "abc", "1,2,3", "NaN", "Infinity", "1..2"])
def test_ambiguous_or_malformed_numbers_are_refused_with_the_value_named(text):
    with pytest.raises(ValueError, match=text.replace(".", r"\.")):
        parse_decimal(text)


@pytest.mark.django_db
def test_fx_rates_file_with_european_decimals_imports(cast, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "rates.csv"
    path.write_text(
        "base_currency;quote_currency;rate_date;rate;source\nUSD;EUR;2026-11-01;0,9213;ECB\nUSD;EUR;2026-11-02;1,234;ECB\n"
    )
    import io
    import json

    out = io.StringIO()
    call_command("import_data", "--tenant", "acme", "--kind", "fx_rates", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["created"] == 0
    assert report["errors"] == [
        {
            "line": 3,
            "column": "rate",
            "message": "'1,234' is ambiguous: write 1234.5 (or 1234,5) without thousands separators.",
        }
    ]
