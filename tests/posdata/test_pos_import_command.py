"""The `pos_import` command contract (INTERFACES.md "Point-of-sale files")."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.posdata.helpers import write

pytestmark = pytest.mark.django_db

KEYS = {
    "status",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "rows_duplicate",
    "quantity_total",
    "amount_total",
    "errors",
}


def run(*args) -> dict:
    out = io.StringIO()
    call_command("pos_import", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


MESSY = (
    "Northwind Distribution - POS report\n"
    "Period: January 2026\n"
    "\n"
    "Invoice #,Line,Ship Date,Part #,Qty,UOM,Unit Price,Ext Price,End User\n"  # line 4
    'INV-1,1,2026-01-05,PMP-100,2,EA,100.00,,"Alpine\nWorks"\n'  # lines 5-6
    "INV-1,2,2026-01-05,NW-PUMP,1,CS,900.00,,Alpine\n"  # line 7: 10 per case
    ",3,2026-01-05,PMP-100,1,EA,1,,x\n"  # line 8: MISSING_FIELD invoice
    "INV-2,1,2026-13-45,PMP-100,1,EA,1,,x\n"  # line 9: INVALID_DATE
    "INV-3,1,2026-01-06,PMP-100,abc,EA,1,,x\n"  # line 10: INVALID_NUMBER
    "INV-4,1,2026-01-06,PMP-100,0,EA,1,,x\n"  # line 11: ZERO_QUANTITY
    "INV-5,1,2026-01-06,NOPE-1,1,EA,1,,x\n"  # line 12: UNKNOWN_PRODUCT
    "INV-6,1,2026-01-06,PMP-100,1,BAG,1,,x\n"  # line 13: UNKNOWN_UNIT
    "INV-7,1,2026-01-07,PMP-100,-1,EA,100.00,,returned\n"  # line 14: a return
)


def test_json_summary_has_the_contract_keys_and_every_rejection_with_line_and_column(cast, catalog, tmp_path):
    path = write(tmp_path, MESSY)
    result = run("--tenant", "acme", "--partner", "D100", str(path))
    assert set(result) == KEYS
    assert result["status"] == "loaded"
    assert result["rows_read"] == 9
    assert result["rows_loaded"] == 3
    assert result["rows_rejected"] == 6
    assert result["rows_duplicate"] == 0
    assert result["quantity_total"] == 2 + 10 - 1  # base units: one case = 10
    assert result["amount_total"] == "1000.00"  # 200 + 900 - 100
    found = [(e["line"], e["column"], e["code"]) for e in result["errors"]]
    assert found == [
        (8, "Invoice #", "MISSING_FIELD"),
        (9, "Ship Date", "INVALID_DATE"),
        (10, "Qty", "INVALID_NUMBER"),
        (11, "Qty", "ZERO_QUANTITY"),
        (12, "Part #", "UNKNOWN_PRODUCT"),
        (13, "UOM", "UNKNOWN_UNIT"),
    ]
    assert all(e["message"] for e in result["errors"])


def test_return_is_loaded_negative_and_case_converts_to_base_units(cast, catalog, tmp_path):
    from posdata.models import PosLine

    run("--tenant", "acme", "--partner", "D100", str(write(tmp_path, MESSY)))
    with cast.a.context():
        lines = {(line.invoice_number, line.invoice_line): line for line in PosLine.objects.all()}
    assert lines[("INV-1", 2)].quantity == 10
    assert str(lines[("INV-1", 2)].unit_price) == "90.0000"
    assert lines[("INV-1", 1)].end_customer == "Alpine\nWorks"
    assert lines[("INV-1", 1)].source_line == 5
    ret = lines[("INV-7", 1)]
    assert ret.quantity == -1 and ret.amount < 0 and ret.transaction_type == "return"


def test_same_file_again_is_refused_as_duplicate_file(cast, catalog, tmp_path):
    path = write(tmp_path, MESSY)
    run("--tenant", "acme", "--partner", "D100", str(path))
    again = run("--tenant", "acme", "--partner", "D100", str(path))
    assert again["status"] == "duplicate_file"
    assert again["rows_loaded"] == 0 and set(again) == KEYS


def test_mapping_option_names_headers_for_fields(cast, catalog, tmp_path):
    content = "Doc,When,What,How many,Each\nA-1,2026-02-01,PMP-100,3,10\n"
    result = run(
        "--tenant",
        "acme",
        "--partner",
        "D100",
        str(write(tmp_path, content)),
        "--mapping",
        "Doc=invoice_number,When=invoice_date,What=sku,How many=quantity,Each=unit_price",
    )
    assert (result["rows_loaded"], result["amount_total"], result["quantity_total"]) == (1, "30.00", 3)


@pytest.mark.parametrize(
    "args",
    [
        ["--tenant", "nope", "--partner", "D100"],
        ["--tenant", "acme", "--partner", "NOPE"],
        ["--tenant", "acme", "--partner", "D100", "--mapping", "no equals sign"],
        ["--tenant", "acme", "--partner", "D100", "--mapping", "Invoice #=not_a_field"],
        ["--tenant", "acme", "--partner", "D100", "--mapping", "Missing header=quantity"],
    ],
)
def test_bad_arguments_fail_with_a_one_line_error(cast, catalog, tmp_path, args):
    path = write(tmp_path, MESSY)
    with pytest.raises(CommandError) as info:
        call_command("pos_import", *args, str(path), "--json", stdout=io.StringIO())
    assert "\n" not in str(info.value)


def test_missing_file_fails(cast):
    with pytest.raises(CommandError):
        call_command(
            "pos_import", "--tenant", "acme", "--partner", "D100", "/nonexistent.csv", stdout=io.StringIO()
        )


def test_invoice_line_defaults_to_position_within_invoice(cast, catalog, tmp_path):
    from posdata.models import PosLine

    content = "Invoice,Date,SKU,Qty,Price\nA,2026-01-01,PMP-100,1,1\nB,2026-01-01,PMP-100,1,1\nA,2026-01-01,PMP-100,2,1\n"
    result = run("--tenant", "acme", "--partner", "D100", str(write(tmp_path, content)))
    assert result["rows_loaded"] == 3
    with cast.a.context():
        assert sorted(PosLine.objects.values_list("invoice_number", "invoice_line", "quantity")) == [
            ("A", 1, 1),
            ("A", 2, 2),
            ("B", 1, 1),
        ]
