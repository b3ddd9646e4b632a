"""The demo seed step: agreements for the demo distributors, claims in every stable status, with
rejected and adjusted lines, one overridden line and an approved claim with its payable; seeded
once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from claims.models import Claim, ClaimLine, PricingAgreement
from claims.seed import AGREEMENTS, seed_claims
from deals.services.review import registration_approve
from prm.finance.models import Payable
from tests.claims.helpers import product
from tests.deals.helpers import register

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


def test_seed_starts_one_agreement_from_an_approved_deal_registration(cast):
    with cast.a.context():
        for _n, _p, _c, _m, lines in AGREEMENTS:
            for sku, *_rest in lines:
                product(sku)
        product("PMP-300")
        registration = register(cast, "p1_user", "Deal Customer Inc.", domain="dealcustomer.example")
        registration_approve(
            registration=registration,
            acting_membership=cast.a.memberships["manager"],
            discount_pct=Decimal("10"),
        )
        seed_claims(cast.a.tenant)
        started = PricingAgreement.objects.get(deal_reference=registration.reference)
    assert started.end_customer == "Deal Customer Inc." and started.partner_id == cast.a.partners["p1"].pk
    with cast.a.context():
        line = started.lines.get()
        # register(): 2 units of "pumps" worth 1000.00 -> 500.00 a unit, 450.00 after 10 %.
        assert (line.authorized_quantity, line.book_cost, line.approved_cost) == (
            2,
            Decimal("500.00"),
            Decimal("450.00"),
        )
