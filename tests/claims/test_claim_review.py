"""Review: override a line with a reason (audited, amounts and consumption follow), approve
(exactly one payable for the approved total, also when approval is clicked twice), refusals
write nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from claims.models import AgreementLine, Claim
from claims.services.claims import claim_approve, claim_line_override
from prm.audit.models import AuditEvent
from prm.finance.models import Payable
from prm.workflow import DomainError, InvalidTransition
from tests.claims.helpers import agreement, line, submit

pytestmark = pytest.mark.django_db


def _reviewed(cast) -> Claim:
    agreement(cast)
    return submit(
        cast,
        [
            line(quantity="3"),  # accepted 60.00
            line(invoice_line="2", quantity="2", end_customer="Someone Else"),  # rejected
            line(invoice_line="3", quantity="1", claimed_unit_debit="50"),  # adjusted 20.00
        ],
    )


def test_override_accepts_a_rejected_line_with_a_reason_and_consumes_its_quantity(cast):
    with cast.a.context():
        claim = _reviewed(cast)
        rejected = claim.lines.get(line=2)
        claim_line_override(
            line=rejected, acting_membership=cast.a.memberships["manager"], accept=True, reason="Subsidiary"
        )
        rejected.refresh_from_db()
        claim.refresh_from_db()
        event = AuditEvent.objects.get(action="claim.line_override")
        consumed = AgreementLine.objects.get().consumed_quantity
    assert (rejected.status, rejected.accepted_quantity, rejected.amount) == ("accepted", 2, Decimal("40.00"))
    assert rejected.codes == ["END_CUSTOMER_MISMATCH"] and rejected.override_reason == "Subsidiary"
    assert claim.approved_total == Decimal("120.00")
    assert consumed == 6
    assert event.before["status"] == "rejected" and event.after["reason"] == "Subsidiary"


def test_override_rejecting_an_accepted_line_releases_its_quantity(cast):
    with cast.a.context():
        claim = _reviewed(cast)
        claim_line_override(
            line=claim.lines.get(line=1),
            acting_membership=cast.a.memberships["manager"],
            accept=False,
            reason="No proof",
        )
        claim.refresh_from_db()
        consumed = AgreementLine.objects.get().consumed_quantity
    assert claim.approved_total == Decimal("20.00")
    assert consumed == 1


def test_override_cannot_accept_more_than_remains_and_writes_nothing(cast):
    with cast.a.context():
        agreement(cast, lines=[("PMP-100", "100.00", "80.00", 3)])
        claim = submit(cast, [line(quantity="3"), line(invoice_line="2", quantity="2")])
        second = claim.lines.get(line=2)
        with pytest.raises(DomainError):
            claim_line_override(
                line=second, acting_membership=cast.a.memberships["manager"], accept=True, reason="x"
            )
        second.refresh_from_db()
        assert (second.status, second.override_reason) == ("rejected", "")
        assert not AuditEvent.objects.filter(action="claim.line_override").exists()


def test_override_needs_a_reason_and_the_review_role(cast):
    with cast.a.context():
        claim = _reviewed(cast)
        target = claim.lines.get(line=2)
        with pytest.raises(DomainError):
            claim_line_override(
                line=target, acting_membership=cast.a.memberships["manager"], accept=True, reason=" "
            )
        with pytest.raises(PermissionDenied):
            claim_line_override(
                line=target, acting_membership=cast.a.memberships["p1_admin"], accept=True, reason="x"
            )
        assert not AuditEvent.objects.filter(action="claim.line_override").exists()


def test_approval_creates_exactly_one_payable_even_when_clicked_twice(cast):
    with cast.a.context():
        claim = _reviewed(cast)
        claim_approve(claim=claim, acting_membership=cast.a.memberships["manager"])
        with pytest.raises(InvalidTransition):
            claim_approve(claim=claim, acting_membership=cast.a.memberships["manager"])
        claim.refresh_from_db()
        payables = list(Payable.objects.all())
        events = AuditEvent.objects.filter(action="claim.approve").count()
    assert claim.status == "approved"
    assert [(p.source_type, p.source_id, p.amount, p.currency, p.partner_id) for p in payables] == [
        ("claim", str(claim.pk), Decimal("80.00"), "USD", cast.a.partners["p1"].pk)
    ]
    assert claim.payable_id == payables[0].pk
    assert events == 1


def test_a_partner_cannot_approve_and_nothing_is_written(cast):
    with cast.a.context():
        claim = _reviewed(cast)
        with pytest.raises(PermissionDenied):
            claim_approve(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        claim.refresh_from_db()
        assert claim.status == "in_review"
        assert not Payable.objects.exists()


def test_a_claim_with_nothing_approved_is_approved_without_a_payable(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line(sku="XXX")])
        claim_approve(claim=claim, acting_membership=cast.a.memberships["manager"])
        claim.refresh_from_db()
        assert (claim.status, claim.payable_id, Payable.objects.count()) == ("approved", None, 0)


def test_finance_reconciliation_checks_approved_claims_against_their_payables(cast):
    from prm.finance.reports import reconciliation_report

    with cast.a.context():
        claim = _reviewed(cast)
        claim_approve(claim=claim, acting_membership=cast.a.memberships["manager"])
        assert [d for d in reconciliation_report().discrepancies if d.check == "ledger_vs_payable"] == []
        # A ledger that no longer matches its payable (a broken row) is named.
        Claim.objects.filter(pk=claim.pk).update(approved_total=Decimal("79.99"))
        found = [d for d in reconciliation_report().discrepancies if d.check == "ledger_vs_payable"]
    assert [d.reference for d in found] == [f"claim:{claim.pk}"]
    assert "79.99" in found[0].message and "80.00" in found[0].message
