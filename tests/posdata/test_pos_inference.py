"""Dates and numbers: formats are inferred per column from all its values."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db


def _lines(cast):
    from posdata.models import PosLine

    with cast.a.context():
        return {line.invoice_number: line for line in PosLine.objects.all()}


def test_us_dates_are_month_first_when_one_value_proves_it(cast, catalog, tmp_path):
    # 03/04 alone is ambiguous; 03/25 proves month/day for the whole column.
    content = "Invoice,Date,SKU,Qty,Price\nA,03/04/2026,PMP-100,1,1\nB,03/25/2026,PMP-100,1,1\n"
    load(cast.a, "p1", write(tmp_path, content))
    lines = _lines(cast)
    assert lines["A"].invoice_date == datetime.date(2026, 3, 4)
    assert lines["B"].invoice_date == datetime.date(2026, 3, 25)


def test_european_dates_are_day_first_when_one_value_proves_it(cast, catalog, tmp_path):
    content = "Invoice,Date,SKU,Qty,Price\nA,03/04/2026,PMP-100,1,1\nB,25/03/2026,PMP-100,1,1\n"
    load(cast.a, "p1", write(tmp_path, content))
    assert _lines(cast)["A"].invoice_date == datetime.date(2026, 4, 3)


def test_ambiguous_dotted_dates_are_european(cast, catalog, tmp_path):
    content = "Invoice;Date;SKU;Qty;Price\nA;03.04.2026;PMP-100;1;1\n"
    load(cast.a, "p1", write(tmp_path, content))
    assert _lines(cast)["A"].invoice_date == datetime.date(2026, 4, 3)


def test_impossible_date_is_rejected_not_rolled_over(cast, catalog, tmp_path):
    content = "Invoice,Date,SKU,Qty,Price\nA,2026-02-29,PMP-100,1,1\nB,2024-02-29,PMP-100,1,1\n"
    _u, result = load(cast.a, "p1", write(tmp_path, content))
    assert [(e["line"], e["code"]) for e in result["errors"]] == [(2, "INVALID_DATE")]


def test_iso_timestamps_and_month_names_parse(cast, catalog, tmp_path):
    content = "Invoice,Date,SKU,Qty,Price\nA,2026-01-05T10:30:00,PMP-100,1,1\nB,05-Jan-2026,PMP-100,1,1\n"
    _u, result = load(cast.a, "p1", write(tmp_path, content))
    assert result["rows_loaded"] == 2


def test_european_numbers_with_thousands_and_currency(cast, catalog, tmp_path):
    content = (
        "Rechnung;Datum;Artikel;Menge;Preis;Betrag\n"
        "A;01.02.2026;PMP-100;2;1.234,50 €;2.469,00\n"
        "B;01.02.2026;PMP-100;1;EUR 0,75;\n"
    )
    load(cast.a, "p1", write(tmp_path, content))
    lines = _lines(cast)
    assert lines["A"].amount == Decimal("2469.00")
    assert lines["A"].unit_price == Decimal("1234.5000")
    assert lines["B"].amount == Decimal("0.75")


def test_us_numbers_with_dollar_signs_and_negative_forms(cast, catalog, tmp_path):
    content = (
        "Invoice,Date,SKU,Qty,Unit Price,Ext Price\n"
        'A,2026-01-01,PMP-100,1000,"$1,234.50","$1,234,500.00"\n'
        "B,2026-01-01,PMP-100,(2),$10.00,\n"
        "C,2026-01-01,PMP-100,3-,$10.00,\n"
    )
    _u, result = load(cast.a, "p1", write(tmp_path, content))
    lines = _lines(cast)
    assert lines["A"].amount == Decimal("1234500.00")
    assert lines["B"].quantity == -2 and lines["B"].amount == Decimal("-20.00")
    assert lines["C"].quantity == -3 and lines["C"].transaction_type == "return"
    assert result["quantity_total"] == 995


def test_extended_amount_wins_over_quantity_times_price(cast, catalog, tmp_path):
    content = "Invoice,Date,SKU,Qty,Unit Price,Ext Price\nA,2026-01-01,PMP-100,2,10,19.50\nB,2026-01-01,PMP-100,-2,10,20\n"
    load(cast.a, "p1", write(tmp_path, content))
    lines = _lines(cast)
    assert lines["A"].amount == Decimal("19.50")
    assert lines["B"].amount == Decimal("-20.00")


def test_fractional_base_quantity_is_invalid(cast, catalog, tmp_path):
    content = "Invoice,Date,SKU,Qty,Price\nA,2026-01-01,PMP-100,1.5,1\n"
    _u, result = load(cast.a, "p1", write(tmp_path, content))
    assert [(e["code"], e["column"]) for e in result["errors"]] == [("INVALID_NUMBER", "Qty")]


def test_half_a_case_is_whole_base_units(cast, catalog, tmp_path):
    content = "Invoice,Date,SKU,Qty,UOM,Price\nA,2026-01-01,PMP-100,1.5,CS,100\n"
    _u, result = load(cast.a, "p1", write(tmp_path, content))
    assert result["quantity_total"] == 15 and result["amount_total"] == "150.00"


def test_missing_price_and_product_identifier_are_missing_fields(cast, catalog, tmp_path):
    content = "Invoice,Date,SKU,Qty,Price\nA,2026-01-01,,1,1\nB,2026-01-01,PMP-100,1,\n"
    _u, result = load(cast.a, "p1", write(tmp_path, content))
    assert [(e["line"], e["column"], e["code"]) for e in result["errors"]] == [
        (2, "SKU", "MISSING_FIELD"),
        (3, "Price", "MISSING_FIELD"),
    ]
