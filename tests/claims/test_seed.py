"""The demo seed step: agreements for the demo distributors, claims in every stable status, with
rejected and adjusted lines, one overridden line and an approved claim with its payable; seeded
once."""

from __future__ import annotations

import pytest

from claims.models import Claim, ClaimLine, PricingAgreement
from claims.seed import AGREEMENTS, seed_claims
from prm.finance.models import Payable
from tests.claims.helpers import product

pytestmark = pytest.mark.django_db


def test_seed_makes_every_status_and_verdict_and_runs_once(cast):
    with cast.a.context():
        for _n, _p, _c, _m, lines in AGREEMENTS:
            for sku, *_rest in lines:
                product(sku)
        product("PMP-300")
        seed_claims(cast.a.tenant)
        statuses = set(Claim.objects.values_list("status", flat=True))
        verdicts = set(ClaimLine.objects.values_list("status", flat=True))
        overridden = ClaimLine.objects.exclude(override_reason="").count()
        payables = Payable.objects.filter(source_type="claim").count()
        agreements = set(PricingAgreement.objects.values_list("status", flat=True))
        counts = (PricingAgreement.objects.count(), Claim.objects.count())
        seed_claims(cast.a.tenant)
        again = (PricingAgreement.objects.count(), Claim.objects.count())
    assert statuses == {"submitted", "in_review", "approved", "failed"}
    assert verdicts == {"accepted", "adjusted", "rejected"}
    assert overridden == 1 and payables == 1
    assert agreements == {"active", "cancelled"}
    assert again == counts
