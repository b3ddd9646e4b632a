"""`manage.py claim_import` (INTERFACES.md): the exact JSON keys, verdicts per line, one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims.management.commands import claim_import
from claims.services.claims import claim_validate_run
from tests.claims.helpers import agreement, line, submit

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


def test_the_command_waits_for_an_earlier_claim_of_the_partner_then_validates(cast, tmp_path, monkeypatch):
    """Quantity is consumed in submission order: an earlier claim still waiting for its worker is
    validated first (here by the stand-in for the worker, while the command sleeps)."""
    with cast.a.context():
        agreement(cast, lines=[("PMP-100", "100.00", "80.00", 10)])
        earlier = submit(cast, [line(invoice_number="INV-A", quantity="8")], number="DM-A", validate=False)
    naps: list[float] = []

    def worker_meanwhile(seconds: float) -> None:
        naps.append(seconds)
        with cast.a.context():
            claim_validate_run(earlier.job)

    monkeypatch.setattr(claim_import.time, "sleep", worker_meanwhile)
    path = tmp_path / "claim.csv"
    path.write_text(COLUMNS + "\nSPA-1,INV-B,1,2026-06-01,PMP-100,6,EA,Globex Water Utility,20.00,\n")
    err = io.StringIO()
    out = io.StringIO()
    call_command(
        "claim_import",
        *("--tenant", "acme", "--partner", "D100", "--claim-number", "DM-B", "--claim-date", "2026-06-30"),
        str(path),
        "--json",
        stdout=out,
        stderr=err,
    )
    result = json.loads(out.getvalue())
    assert naps == [claim_import.WAIT_SECONDS]
    assert "Waiting for claim DM-A" in err.getvalue()
    assert result["status"] == "in_review"
    assert [(x["status"], x["codes"], x["accepted_quantity"]) for x in result["lines"]] == [
        ("adjusted", ["QUANTITY_EXCEEDED"], 2)
    ]
