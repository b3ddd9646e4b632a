"""A fund claim becomes paid the moment finance records the payment of its payable: the payout
batch is built, approved by a second finance user (maker-checker), exported and marked paid, each
step committed for real; finance's on_paid hook (run after the commit, in the tenant's context)
posts one "paid" entry and marks the claim paid. Calling it again, or the nightly safety net,
posts nothing more."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from funds.models import FundClaim, LedgerEntry
from funds.services.claims import (
    claim_approve,
    claim_create,
    claim_submit,
    claims_mark_paid,
    fund_claims_paid,
)
from prm.audit.models import AuditEvent
from prm.finance.batches import (
    BatchFilters,
    PaymentConfirmation,
    payout_batch_approve,
    payout_batch_create,
    payout_batch_export,
    payout_batch_mark_paid,
)
from prm.finance.models import Payable
from tests.funds.helpers import allocate, approved, balances, full_proof, fund, period, tiers, travel
from tests.prm.finance_helpers import payout_details, second_finance

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def _approved_claim(cast, monkeypatch) -> FundClaim:
    """P1's event claim approved for 1,500.00 (cost 3,000.00 at 50 %), its payable open."""
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f, end=datetime.date.today() + datetime.timedelta(days=200)), "10000.00")
        request = approved(cast, f)
        travel(monkeypatch, request.end_date + datetime.timedelta(days=1))
        claim = claim_create(
            request=request, acting_membership=cast.a.memberships["p1_admin"], actual_cost=D("3000.00")
        )
        full_proof(cast, claim)
        claim_submit(claim=claim, acting_membership=cast.a.memberships["p1_admin"])
        return claim_approve(claim=claim, acting_membership=cast.a.memberships["marketing"])


def _pay_through_a_batch(cast) -> None:
    payout_details(cast.a, "p1")
    checker = second_finance(cast.a)
    finance = cast.a.memberships["finance"]
    with cast.a.context():
        batch = payout_batch_create(
            acting_membership=finance, currency="USD", filters=BatchFilters(source_types=("fund_claim",))
        )
        batch = payout_batch_approve(batch=batch, acting_membership=checker)
        batch = payout_batch_export(batch=batch, acting_membership=finance)
        assert FundClaim.objects.get().status == FundClaim.Status.APPROVED  # not paid before the bank says so
        payout_batch_mark_paid(
            batch=batch,
            acting_membership=finance,
            confirmations=[
                PaymentConfirmation(cast.a.partners["p1"].pk, "BANK-7", datetime.date.today()),
            ],
        )


def test_marking_the_batch_paid_pays_the_fund_claim_exactly_once(cast, monkeypatch):
    claim = _approved_claim(cast, monkeypatch)
    _pay_through_a_batch(cast)
    with cast.a.context():
        claim.refresh_from_db()
        assert claim.status == FundClaim.Status.PAID
        assert Payable.objects.get(pk=claim.payable_id).status == Payable.Status.PAID
        paid = LedgerEntry.objects.get(kind="paid")
        assert (paid.claim_id, paid.amount, paid.currency, paid.key) == (
            claim.pk,
            D("1500.00"),
            "USD",
            f"paid:{claim.pk}",
        )
        event = AuditEvent.objects.get(action="fund_claim.paid")
        assert (event.object_id, event.before, event.after) == (
            str(claim.pk),
            {"status": "approved"},
            {"status": "paid", "paid": "1500.00"},
        )
        b = balances(cast, claim.request.fund)
        assert (b.claimed, b.paid, b.unpaid_claimed, b.violations()) == (
            D("1500.00"),
            D("1500.00"),
            D("0"),
            [],
        )
        # Told again (a redelivered task) or caught up by the nightly safety net: nothing more.
        assert fund_claims_paid(cast.a.tenant, [str(claim.pk)]) == 0
        assert claims_mark_paid() == 0
        assert LedgerEntry.objects.filter(kind="paid").count() == 1
        assert AuditEvent.objects.filter(action="fund_claim.paid").count() == 1
