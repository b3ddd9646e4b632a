"""Partner files as ERPs write them: encodings, delimiters, XLSX with title rows, header names."""

from __future__ import annotations

import codecs

import pytest

from tests.posdata.helpers import load, write, xlsx_bytes

pytestmark = pytest.mark.django_db

ROWS = "INV-1{d}2026-03-02{d}PMP-100{d}2{d}10.50\nINV-2{d}2026-03-03{d}VLV-010{d}1{d}5.00\n"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_delimiter(cast, catalog, tmp_path, delimiter):
    header = delimiter.join(["Invoice No", "Invoice Date", "SKU", "Quantity", "Unit Price"]) + "\n"
    _upload, result = load(cast.a, "p1", write(tmp_path, header + ROWS.format(d=delimiter)))
    assert (result["rows_loaded"], result["amount_total"]) == (2, "26.00")


@pytest.mark.parametrize(
    "encoding,prefix",
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16", b""), ("cp1252", b""), ("latin-1", b"")],
)
def test_encodings_keep_accented_customer_names(cast, catalog, tmp_path, encoding, prefix):
    from posdata.models import PosLine

    text = "Invoice #,Ship Date,Item Number,Qty,Unit Price,Customer\nI-1,2026-03-02,PMP-100,1,9.99,Société Générale Müller\n"
    path = write(tmp_path, prefix + text.encode(encoding))
    _upload, result = load(cast.a, "p1", path)
    assert result["rows_loaded"] == 1, result
    with cast.a.context():
        assert PosLine.objects.get().end_customer == "Société Générale Müller"


def test_xlsx_with_title_rows_reports_sheet_rows(cast, catalog, tmp_path):
    import datetime

    content = xlsx_bytes(
        [
            ["Contoso Supply — sell-through"],
            ["Exported 2026-03-31"],
            [],
            ["Inv No", "Ship Date", "Part #", "Qty", "Ext Price", "End User"],
            ["X-1", datetime.date(2026, 3, 1), "PMP-100", 3, 300.5, "Delta Farms"],
            ["X-2", "not a date", "PMP-100", 1, 10, "Delta Farms"],
        ]
    )
    upload, result = load(cast.a, "p1", write(tmp_path, content, "f.xlsx"))
    assert upload.format == "xlsx" and upload.header_row == 4
    assert result["rows_loaded"] == 1 and result["amount_total"] == "300.50"
    assert [(e["line"], e["column"], e["code"]) for e in result["errors"]] == [
        (6, "Ship Date", "INVALID_DATE")
    ]


@pytest.mark.parametrize(
    "headers,expected",
    [
        (
            ["Invoice #", "Ship Date", "Item Number", "Qty", "Unit Price", "End User"],
            {"invoice_number", "invoice_date", "sku", "quantity", "unit_price", "end_customer"},
        ),
        (
            ["Inv No", "Inv Date", "Part #", "Quantity Shipped", "Ext Price", "Customer", "UPC"],
            {"invoice_number", "invoice_date", "sku", "quantity", "extended_amount", "end_customer", "gtin"},
        ),
        (
            ["Rechnung", "Datum", "Artikel", "Menge", "Preis", "Betrag", "Kunde", "PLZ"],
            {
                "invoice_number",
                "invoice_date",
                "sku",
                "quantity",
                "unit_price",
                "extended_amount",
                "end_customer",
                "postal_code",
            },
        ),
    ],
)
def test_header_names_are_recognised(headers, expected):
    from posdata.fields import detect_mapping

    assert set(detect_mapping("pos", headers)) == expected


def test_unnamed_columns_are_detected_from_content():
    from posdata.fields import detect_mapping

    mapping = detect_mapping(
        "pos",
        ["Invoice", "Col A", "Col B", "Qty", "Price"],
        [
            ["I-1", "03/15/2026", "00012345600104", "1", "2"],
            ["I-2", "03/16/2026", "00012345600111", "1", "2"],
        ],
    )
    assert mapping["invoice_date"] == "Col A" and mapping["gtin"] == "Col B"


def test_saved_mapping_is_reused_for_the_partners_next_file(cast, catalog, tmp_path):
    from posdata.models import ColumnMapping

    first = "Doc,When,What,N,Each\nA-1,2026-02-01,PMP-100,3,10\n"
    load(
        cast.a,
        "p1",
        write(tmp_path, first, "a.csv"),
        mapping={
            "invoice_number": "Doc",
            "invoice_date": "When",
            "sku": "What",
            "quantity": "N",
            "unit_price": "Each",
        },
    )
    second = "Doc,When,What,N,Each\nA-2,2026-02-02,PMP-100,1,10\n"
    _upload, result = load(cast.a, "p1", write(tmp_path, second, "b.csv"))
    assert result["rows_loaded"] == 1
    with cast.a.context():
        assert ColumnMapping.objects.get(partner=cast.a.partners["p1"]).mapping["quantity"] == "N"


def test_gtin_and_partner_sku_resolve_products(cast, catalog, tmp_path):
    from posdata.models import PosLine

    content = (
        "Invoice,Date,Partner SKU,UPC,Qty,Price\nA,2026-01-01,NW-PUMP,,1,1\nB,2026-01-01,,12345600104,1,1\n"
    )
    _upload, result = load(cast.a, "p1", write(tmp_path, content))
    assert result["rows_loaded"] == 2
    with cast.a.context():
        assert {line.product.sku for line in PosLine.objects.select_related("product")} == {
            "PMP-100",
            "VLV-010",
        }
