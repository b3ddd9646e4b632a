"""The demo seed step: funds with allocations and an accrual fund, requests waiting at each
approval level, claims in every review status with their payables, an expiry and a reversal;
balances sound; seeded once."""

from __future__ import annotations

import pytest

from funds.models import FundClaim, FundRequest, LedgerEntry
from funds.seed import seed_funds, seeded_counts
from funds.selectors import balances_by_account
from prm.finance.models import Payable
from prm.finance.reports import reconciliation_report
from tests.funds.helpers import tiers

pytestmark = pytest.mark.django_db


def test_seed_makes_every_level_and_status_and_runs_once(cast):
    with cast.a.context():
        tiers(cast, p2="Registered", silver_mdf=False)
        seed_funds(cast.a.tenant)
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
    assert claim_statuses == {"draft", "submitted", "returned", "approved", "partially_approved", "rejected"}
    assert {"allocated", "committed", "claimed", "released", "expired", "reversed"} <= kinds
    assert all(b.violations() == [] for b in balances.values())
    assert payables == 3 and discrepancies == []
    assert again == counts
