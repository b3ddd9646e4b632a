"""Submitting: by file (the tolerant reader), by portal lines, the same number twice refused, an
unreadable file fails the claim with a reason, the partner must be active and have signed."""

from __future__ import annotations

import datetime
import io

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied

from claims.models import Claim
from claims.services.claims import claim_submit, claim_validate_run
from prm.audit.models import AuditEvent
from prm.workflow import DomainError
from tests.claims.helpers import TODAY, agreement, line, submit, verdicts

pytestmark = pytest.mark.django_db


def _file_claim(cast, data: bytes, number="DM-F1") -> Claim:
    claim = claim_submit(
        partner=cast.a.partners["p1"],
        number=number,
        claim_date=TODAY,
        file=io.BytesIO(data),
        original_name="claim.csv",
        acting_membership=cast.a.memberships["p1_user"],
        enqueue=False,
    )
    claim_validate_run(claim.job)
    claim.refresh_from_db()
    return claim


def test_a_messy_file_with_a_title_row_semicolons_latin1_and_aliases_is_validated(cast):
    data = (
        "Northwind claim export – June\n"
        "SPA No;Invoice #;Line;Ship Date;Part #;Qty;UOM;End User;Debit per unit;Resale\n"
        "SPA-1;INV-7;1;01.06.2026;PMP-100;2;EA;Globex Water Utility Inc;19,50;110,00\n"
        "SPA-1;INV-7;2;2026-06-02;PMP-100;1;EA;Globex Water Utility Inc;;\n"
    ).encode("cp1252")
    with cast.a.context():
        agreement(cast)
        claim = _file_claim(cast, data)
    assert claim.status == "in_review"
    assert verdicts(claim) == [("accepted", [], 2, "39.0000"), ("rejected", ["INVALID_DATA"], 0, "0.0000")]
    with cast.a.context():
        second = claim.lines.get(line=2)
    assert second.source_line == 4
    assert [p["column"] for p in second.problems] == ["claimed_unit_debit"]


def test_a_file_without_the_required_columns_fails_the_claim_with_the_reason(cast):
    with cast.a.context():
        claim = _file_claim(cast, b"Invoice,Qty\nI-1,3\n")
        job_status = claim.job.status
    assert claim.status == "failed"
    assert "agreement_number" in claim.error
    assert job_status == "failed"


def test_the_same_debit_memo_number_twice_is_refused(cast):
    with cast.a.context():
        agreement(cast)
        submit(cast, [line()], number="DM-7")
        with pytest.raises(DomainError, match=r"(?i)DM-7"):
            submit(cast, [line(invoice_number="INV-9")], number="dm-7")
        assert Claim.objects.count() == 1


def test_a_failed_claim_frees_its_number(cast):
    with cast.a.context():
        _file_claim(cast, b"Invoice,Qty\nI-1,3\n", number="DM-8")
        agreement(cast)
        again = submit(cast, [line()], number="DM-8")
    assert again.status == "in_review"


def test_submitting_needs_the_role_and_an_active_partner_and_is_audited(cast):
    with cast.a.context():
        with pytest.raises(PermissionDenied):
            claim_submit(
                partner=cast.a.partners["p1"],
                number="X",
                claim_date=TODAY,
                lines=[line()],
                acting_membership=cast.a.memberships["manager"],
                enqueue=False,
            )
        with pytest.raises(DomainError):
            claim_submit(
                partner=cast.a.partners["p1"],
                number="X",
                claim_date=TODAY,
                lines=[line()],
                acting_membership=cast.a.memberships["p2_user"],
                enqueue=False,
            )
        cast.a.partners["p1"].__class__.objects.filter(pk=cast.a.partners["p1"].pk).update(status="suspended")
        with pytest.raises(DomainError):
            claim_submit(
                partner=cast.a.partners["p1"], number="X", claim_date=TODAY, lines=[line()], enqueue=False
            )
        assert not Claim.objects.exists()
        cast.a.partners["p1"].__class__.objects.filter(pk=cast.a.partners["p1"].pk).update(status="active")
        submit(cast, [line()], validate=False)
        assert AuditEvent.objects.filter(action="claim.submit").count() == 1


def test_only_rejected_own_lines_can_be_resubmitted(cast):
    with cast.a.context():
        agreement(cast)
        accepted = submit(cast, [line()], number="DM-1").lines.get()
        with pytest.raises(DomainError):
            submit(cast, [line(invoice_number="INV-2", resubmission_of=accepted.pk)], number="DM-2")


def test_a_claim_needs_a_signed_partner_agreement(cast):
    from partners.selectors import AgreementNotSigned

    with cast.a.context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr("claims.services.claims.require_signed_agreement", _refuse(AgreementNotSigned))
        with pytest.raises(AgreementNotSigned):
            submit(cast, [line()], validate=False)
        assert not Claim.objects.exists()


def _refuse(error):
    def refuse(partner):
        raise error("not signed")

    return refuse


def test_claim_date_is_kept(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line()], claim_date=datetime.date(2026, 6, 15))
    assert claim.claim_date == datetime.date(2026, 6, 15)


def test_an_xlsx_claim_with_a_title_row_is_read_by_the_same_tolerant_reader(cast):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Claim")
    sheet.write_row(0, 0, ["Northwind debit memo DM-X1"])
    sheet.write_row(
        2,
        0,
        [
            "Agreement",
            "Invoice No",
            "Line",
            "Ship Date",
            "SKU",
            "Qty",
            "UOM",
            "Customer",
            "Debit per unit",
            "Resale Price",
        ],
    )
    sheet.write_row(
        3, 0, ["SPA-1", "INV-X", 1, "2026-06-01", "PMP-100", 3, "EA", "Globex Water Utility", 20, 110]
    )
    sheet.write_row(
        4, 0, ["SPA-1", "INV-X", 2, "2026-06-02", "PMP-100", 1, "CS", "Globex Water Utility", 20, ""]
    )
    book.close()
    with cast.a.context():
        agreement(cast)
        claim = claim_submit(
            partner=cast.a.partners["p1"],
            number="DM-X1",
            claim_date=TODAY,
            file=io.BytesIO(buffer.getvalue()),
            original_name="claim.xlsx",
            acting_membership=cast.a.memberships["p1_user"],
            enqueue=False,
        )
        claim_validate_run(claim.job)
        claim.refresh_from_db()
        assert claim.format == "xlsx" and claim.status == "in_review"
        assert [line.source_line for line in claim.lines.order_by("line")] == [4, 5]
    # The case (10 eaches of this product) converts before the quantity check: 7 of 10 remain.
    assert verdicts(claim) == [
        ("accepted", [], 3, "60.0000"),
        ("adjusted", ["QUANTITY_EXCEEDED"], 7, "140.0000"),
    ]
