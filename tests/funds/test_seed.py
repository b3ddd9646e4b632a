"""The demo seed step: funds with allocations and an accrual fund, requests waiting at each
approval level, claims in every review status with their payables, one claim paid through a real
payout batch (maker-checker), an expiry and a reversal; balances sound; seeded once."""

from __future__ import annotations

import pytest

from funds.models import FundClaim, FundRequest, LedgerEntry
from funds.seed import seed_funds, seeded_counts
from funds.selectors import balances_by_account
from prm.audit.models import AuditEvent
from prm.finance.models import Payable, PayoutBatch
from prm.finance.reports import reconciliation_report
from tests.funds.helpers import tiers, today
from tests.posdata.helpers import load, write
from tests.prm.finance_helpers import second_finance

pytestmark = pytest.mark.django_db


def test_seed_makes_every_level_and_status_and_runs_once(cast, tmp_path):
    second_finance(cast.a)
    # A sale of P1 this year: the co-op fund accrues 2 % of it.
    sale = f"invoice_number,invoice_date,sku,quantity,unit_price,currency\nS-1,{today().isoformat()},PMP-100,10,1000.00,USD\n"
    assert load(cast.a, "p1", write(tmp_path, sale))[1]["rows_loaded"] == 1
    with cast.a.context():
        tiers(cast, p2="Registered", silver_mdf=False)
        seed_funds(cast.a.tenant)
        paid_claim = FundClaim.objects.get(status="paid")
        paid_entry = LedgerEntry.objects.get(kind="paid")
        batch = PayoutBatch.objects.get()
        paid_payable = Payable.objects.get(pk=paid_claim.payable_id)
        approvals = list(
            AuditEvent.objects.filter(action="payout_batch.approve").values_list("actor", flat=True)
        )
        pending_levels = set(FundRequest.objects.filter(status="pending").values_list("level", flat=True))
        request_statuses = set(FundRequest.objects.values_list("status", flat=True))
        claim_statuses = set(FundClaim.objects.values_list("status", flat=True))
        kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
        balances = balances_by_account(LedgerEntry.objects.all())
        payables = Payable.objects.filter(source_type="fund_claim").count()
        discrepancies = [
            d for d in reconciliation_report().discrepancies if d.reference.startswith("fund_claim")
        ]
        counts = seeded_counts()
        seed_funds(cast.a.tenant)
        again = seeded_counts()
    assert pending_levels == {1, 2, 3}
    assert {"draft", "changes_requested", "rejected", "approved", "completed"} <= request_statuses
    assert claim_statuses == {
        "draft",
        "submitted",
        "returned",
        "approved",
        "partially_approved",
        "rejected",
        "paid",
    }
    # Last quarter's claim went all the way: a batch built by one finance user, approved by the other.
    assert (batch.status, paid_payable.status) == ("paid", "paid")
    assert approvals == [cast.a.users["finance2"].pk] and batch.created_by == cast.a.users["finance"]
    assert (paid_entry.claim_id, paid_entry.amount) == (paid_claim.pk, paid_claim.reimbursement)
    assert {
        "allocated",
        "accrued",
        "committed",
        "claimed",
        "paid",
        "released",
        "expired",
        "reversed",
    } <= kinds
    assert all(b.violations() == [] for b in balances.values())
    assert payables == 3 and discrepancies == []
    assert again == counts
