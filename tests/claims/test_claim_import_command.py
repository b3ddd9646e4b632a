"""`manage.py claim_import` (INTERFACES.md): the exact JSON keys, verdicts per line, one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.claims.helpers import agreement

pytestmark = pytest.mark.django_db

COLUMNS = "agreement_number,invoice_number,invoice_line,ship_date,sku,quantity,unit_of_measure,end_customer,claimed_unit_debit,resale_price"


def run(*args) -> dict:
    out = io.StringIO()
    call_command("claim_import", *args, "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_json_has_the_contract_keys_and_a_verdict_per_line(cast, tmp_path):
    with cast.a.context():
        agreement(cast)
    path = tmp_path / "claim.csv"
    path.write_text(
        COLUMNS + "\n"
        "SPA-1,INV-1,1,2026-06-01,PMP-100,2,EA,Globex Water Utility,20.00,\n"
        "SPA-1,INV-1,2,2026-06-01,PMP-100,1,EA,Globex Water Utility,25.00,\n"
        "SPA-X,INV-1,3,2026-06-01,PMP-100,1,EA,Globex Water Utility,20.00,\n"
    )
    result = run(
        "--tenant",
        "acme",
        "--partner",
        "D100",
        "--claim-number",
        "DM-1",
        "--claim-date",
        "2026-06-30",
        str(path),
    )
    assert list(result) == ["claim_number", "status", "lines", "totals"]
    assert result["claim_number"] == "DM-1" and result["status"] == "in_review"
    assert result["lines"] == [
        {"line": 1, "status": "accepted", "codes": [], "accepted_quantity": 2, "amount": "40.00"},
        {
            "line": 2,
            "status": "adjusted",
            "codes": ["DEBIT_EXCEEDS_ALLOWED"],
            "accepted_quantity": 1,
            "amount": "20.00",
        },
        {
            "line": 3,
            "status": "rejected",
            "codes": ["UNKNOWN_AGREEMENT"],
            "accepted_quantity": 0,
            "amount": "0.00",
        },
    ]
    assert result["totals"] == {"claimed": "85.00", "approved": "60.00"}


@pytest.mark.parametrize(
    "args",
    [
        ("--partner", "NOPE", "--claim-number", "DM-1", "--claim-date", "2026-06-30"),
        ("--partner", "D100", "--claim-number", "DM-1", "--claim-date", "30.06.2026"),
    ],
)
def test_bad_arguments_fail_with_a_one_line_error(cast, tmp_path, args):
    path = tmp_path / "claim.csv"
    path.write_text(COLUMNS + "\n")
    with pytest.raises(CommandError) as error:
        call_command("claim_import", "--tenant", "acme", *args, str(path), "--json", stdout=io.StringIO())
    assert "\n" not in str(error.value)


def test_an_unreadable_file_fails_with_the_reason(cast, tmp_path):
    path = tmp_path / "claim.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="no column"):
        run(
            "--tenant",
            "acme",
            "--partner",
            "D100",
            "--claim-number",
            "DM-2",
            "--claim-date",
            "2026-06-30",
            str(path),
        )


def test_missing_file_fails(cast):
    with pytest.raises(CommandError, match="No such file"):
        run(
            "--tenant",
            "acme",
            "--partner",
            "D100",
            "--claim-number",
            "DM-3",
            "--claim-date",
            "2026-06-30",
            str(Path("/nope.csv")),
        )
