"""Fund claims: the window after the activity and the deadline, required proof per activity
type, the reimbursement formula on its boundaries, approval posting "claimed" (and releasing the
rest) with one payable, partial approval, rejection, return for proof, payment, reconciliation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from funds.models import FundClaim, FundRequest, LedgerEntry
from funds.services.claims import (
    claim_approve,
    claim_create,
    claim_reject,
    claim_return,
    claim_submit,
    claims_mark_paid,
    reimbursement,
)
from prm.finance.models import Payable
from prm.finance.reports import reconciliation_report
from prm.workflow import DomainError
from tests.funds.helpers import (
    CSV,
    JPEG,
    PDF,
    allocate,
    approved,
    balances,
    days,
    full_proof,
    fund,
    period,
    proof,
    tiers,
    travel,
)

pytestmark = pytest.mark.django_db
D = Decimal
C = FundClaim.Status


@pytest.fixture
def activity(cast):
    """An approved event request of P1 for 2,000 (cost 4,000), days 20-21 from today."""
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f, end=days(200)), "10000.00")
        return approved(cast, f)


def _claim(cast, r, cost="3000.00", **kwargs):
    return claim_create(
        request=r, acting_membership=cast.a.memberships["p1_admin"], actual_cost=D(cost), **kwargs
    )


def test_a_claim_is_filed_after_the_activity_and_by_the_deadline(cast, activity, monkeypatch):
    with cast.a.context():
        end = activity.end_date
        travel(monkeypatch, end)
        with pytest.raises(DomainError, match="once the activity is over"):
            _claim(cast, activity)
        travel(monkeypatch, end + datetime.timedelta(days=61))
        with pytest.raises(DomainError, match=r"deadline.*late"):
            _claim(cast, activity)
        travel(monkeypatch, end + datetime.timedelta(days=60))
        claim = _claim(cast, activity, leads=12, attendees=140)
        assert (claim.status, claim.actual_cost, claim.leads) == (C.DRAFT, D("3000.00"), 12)


def test_a_claim_needs_the_proof_its_activity_type_requires(cast, activity, monkeypatch):
    with cast.a.context():
        travel(monkeypatch, activity.end_date + datetime.timedelta(days=1))
        claim = _claim(cast, activity)
        proof(cast, claim, "invoice", "invoice.pdf", PDF)
        with pytest.raises(DomainError, match="photos, attendee list"):
            claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        proof(cast, claim, "photo", "booth.jpg", JPEG)
        proof(cast, claim, "attendees", "list.csv", CSV)
        claim = claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        assert claim.status == C.SUBMITTED


def test_a_digital_campaign_needs_a_screenshot_dated_within_the_activity(cast, monkeypatch):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f, end=days(200)), "10000.00")
        r = approved(cast, f, activity_type="digital", start_date=days(15), end_date=days(30))
        travel(monkeypatch, r.end_date + datetime.timedelta(days=2))
        claim = _claim(cast, r)
        proof(cast, claim, "invoice", "invoice.pdf", PDF)
        with pytest.raises(DomainError, match="date the screenshot shows"):
            proof(cast, claim, "screenshot", "ad.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10)
        with pytest.raises(DomainError, match="within the activity"):
            proof(
                cast,
                claim,
                "screenshot",
                "ad.png",
                b"\x89PNG\r\n\x1a\n" + b"0" * 10,
                captured_on=r.start_date - datetime.timedelta(days=1),
            )
        proof(
            cast,
            claim,
            "screenshot",
            "ad.png",
            b"\x89PNG\r\n\x1a\n" + b"0" * 10,
            captured_on=r.start_date + datetime.timedelta(days=1),
        )
        assert (
            claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"]).status == C.SUBMITTED
        )


@pytest.mark.parametrize(
    ("cost", "approved_amount", "available", "expected"),
    [
        ("3000.00", "2000.00", "9999.00", "1500.00"),  # the participation share is the smallest
        ("4000.00", "2000.00", "9999.00", "2000.00"),  # share = approved: equal
        ("4000.02", "2000.00", "9999.00", "2000.00"),  # the approved amount caps it
        ("5000.00", "2000.00", "1999.99", "1999.99"),  # the available balance caps it
        ("0.03", "2000.00", "9999.00", "0.02"),  # 0.015 rounds half-up to the cent
        ("5000.00", "2000.00", "0.00", "0.00"),
    ],
)
def test_reimbursement_is_the_smallest_of_share_approved_and_available(
    cost, approved_amount, available, expected
):
    assert reimbursement(
        actual_cost=D(cost),
        participation_pct=D("50"),
        approved=D(approved_amount),
        available=D(available),
        currency="USD",
    ) == D(expected)


def test_approval_posts_claimed_releases_the_rest_and_creates_one_payable(cast, activity, monkeypatch):
    with cast.a.context():
        travel(monkeypatch, activity.end_date + datetime.timedelta(days=1))
        claim = _claim(cast, activity, cost="3000.00")
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        claim = claim_approve(claim=claim, acting_membership=cast.a.memberships["marketing"])
        assert (claim.status, claim.reimbursement) == (C.APPROVED, D("1500.00"))
        claimed = LedgerEntry.objects.get(kind="claimed")
        released = LedgerEntry.objects.get(kind="released")
        assert (claimed.amount, released.amount) == (D("1500.00"), D("500.00"))
        assert claimed.detail["formula"] == "1500.00"
        payable = Payable.objects.get()
        assert (payable.source_type, payable.source_id, payable.amount, payable.partner_id) == (
            "fund_claim",
            str(claim.pk),
            D("1500.00"),
            cast.a.partners["p1"].pk,
        )
        assert claim.payable_id == payable.pk
        assert FundRequest.objects.get(pk=activity.pk).status == FundRequest.Status.COMPLETED
        b = balances(cast, activity.fund)
        assert (b.available, b.open_committed, b.unpaid_claimed, b.violations()) == (
            D("8500.00"),
            D("0"),
            D("1500.00"),
            [],
        )
        assert [
            d for d in reconciliation_report().discrepancies if d.reference.startswith("fund_claim")
        ] == []
        with pytest.raises(DomainError):
            claim_approve(claim=claim, acting_membership=cast.a.memberships["marketing"])
        assert Payable.objects.count() == 1


def test_partial_approval_needs_a_reason_and_pays_the_lower_amount(cast, activity, monkeypatch):
    with cast.a.context():
        travel(monkeypatch, activity.end_date + datetime.timedelta(days=1))
        claim = _claim(cast, activity, cost="5000.00")
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        with pytest.raises(DomainError, match="why only part"):
            claim_approve(claim=claim, acting_membership=cast.a.memberships["admin"], amount=D("1200.00"))
        with pytest.raises(DomainError, match=r"At most 2000\.00"):
            claim_approve(
                claim=claim, acting_membership=cast.a.memberships["admin"], amount=D("2000.01"), reason="x"
            )
        claim = claim_approve(
            claim=claim,
            acting_membership=cast.a.memberships["admin"],
            amount=D("1200.00"),
            reason="One day only",
        )
        assert (claim.status, claim.reimbursement, claim.payable.amount) == (
            C.PARTIALLY_APPROVED,
            D("1200.00"),
            D("1200.00"),
        )
        assert balances(cast, activity.fund).available == D("8800.00")


def test_rejection_pays_nothing_and_releases_the_commitment(cast, activity, monkeypatch):
    with cast.a.context():
        travel(monkeypatch, activity.end_date + datetime.timedelta(days=1))
        claim = _claim(cast, activity)
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        claim = claim_reject(
            claim=claim, acting_membership=cast.a.memberships["manager"], reason="Photos show another brand"
        )
        assert claim.status == C.REJECTED and not Payable.objects.exists()
        assert balances(cast, activity.fund).available == D("10000.00")


def test_a_returned_claim_gets_more_proof_and_may_be_resubmitted_after_the_deadline(
    cast, activity, monkeypatch
):
    with cast.a.context():
        travel(monkeypatch, activity.end_date + datetime.timedelta(days=60))
        claim = _claim(cast, activity)
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        claim = claim_return(
            claim=claim, acting_membership=cast.a.memberships["marketing"], reason="Invoice unreadable"
        )
        travel(monkeypatch, activity.end_date + datetime.timedelta(days=70))
        proof(cast, claim, "invoice", "invoice-2.pdf", PDF)
        assert (
            claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"]).status == C.SUBMITTED
        )


def test_the_nightly_safety_net_posts_paid_once_for_a_paid_payable(cast, activity, monkeypatch):
    """A payment whose on_paid call was lost (test_claim_paid.py has the normal path)."""
    with cast.a.context():
        travel(monkeypatch, activity.end_date + datetime.timedelta(days=1))
        claim = _claim(cast, activity)
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        claim = claim_approve(claim=claim, acting_membership=cast.a.memberships["marketing"])
        assert claims_mark_paid() == 0
        Payable.objects.filter(pk=claim.payable_id).update(status=Payable.Status.PAID)
        assert claims_mark_paid() == 1
        assert claims_mark_paid() == 0
        paid = LedgerEntry.objects.get(kind="paid")
        assert (paid.amount, paid.claim_id) == (D("1500.00"), claim.pk)
        assert FundClaim.objects.get(pk=claim.pk).status == C.PAID
        b = balances(cast, activity.fund)
        assert (b.paid, b.unpaid_claimed, b.violations()) == (D("1500.00"), D("0"), [])


def test_reconciliation_names_a_claim_whose_payable_disagrees_with_the_ledger(cast, activity, monkeypatch):
    with cast.a.context():
        travel(monkeypatch, activity.end_date + datetime.timedelta(days=1))
        claim = _claim(cast, activity)
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        claim = claim_approve(claim=claim, acting_membership=cast.a.memberships["marketing"])
        Payable.objects.filter(pk=claim.payable_id).update(amount=D("1499.00"))
        found = [d for d in reconciliation_report().discrepancies if d.reference == f"fund_claim:{claim.pk}"]
        assert len(found) == 1 and "1500.00" in found[0].message


def test_an_unclaimed_request_lapses_after_its_deadline_and_its_commitment_returns(
    cast, activity, monkeypatch
):
    from funds.services.expiry import requests_lapse_overdue

    with cast.a.context():
        assert requests_lapse_overdue(day=activity.claim_deadline) == 0
        assert requests_lapse_overdue(day=activity.claim_deadline + datetime.timedelta(days=1)) == 1
        assert FundRequest.objects.get(pk=activity.pk).status == FundRequest.Status.LAPSED
        assert balances(cast, activity.fund).open_committed == D("0")
