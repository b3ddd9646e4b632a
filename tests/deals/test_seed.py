"""The demo seed step: every status, conflicts decided by submission order, extensions, won and lost
values, leads in every routing state; consistent data, seeded once, for its own tenant only.
(Its speed is measured by `make bench`, not asserted here.)"""

from __future__ import annotations

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from deals.models import Conflict, DealExtension, DealRegistration, DirectOpportunity, Lead, LeadAssignment
from deals.seed import seed_deals
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

S = DealRegistration.Status


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (DealRegistration, Conflict, DealExtension, DirectOpportunity, Lead, LeadAssignment)
    }


@pytest.fixture
def seeded(cast):
    with cast.a.context():
        ProductFactory(sku="VLV-1", category="valves")
        seed_deals(cast.a.tenant)
    return cast


def _every_status_for_both_partners(cast) -> None:
    with cast.a.context():
        assert DealRegistration.objects.count() >= 2000
        assert set(DealRegistration.objects.values_list("status", flat=True)) == set(S.values)
        for partner in ("p1", "p2"):
            statuses = DealRegistration.objects.filter(partner=cast.a.partners[partner]).values_list("status")
            assert {s for (s,) in statuses.distinct()} == set(S.values), partner
        assert set(DealRegistration.objects.values_list("currency", flat=True)) == {"USD"}
        combinations = DealRegistration.objects.values_list("product_lines", flat=True).distinct()
        assert {tuple(lines) for lines in combinations} == {("pumps",), ("valves",), ("pumps", "valves")}


def _registrations_consistent_with_their_status(cast) -> None:
    today = timezone.localdate()
    with cast.a.context():
        regs = DealRegistration.objects
        assert not regs.filter(status=S.DRAFT, submitted_at__isnull=False).exists()
        assert not regs.exclude(status=S.DRAFT).filter(submitted_at__isnull=True).exists()
        assert not regs.filter(status=S.APPROVED, protection_until__lt=today).exists()
        assert not regs.filter(status=S.EXPIRED, protection_until__gte=today).exists()
        assert regs.filter(status=S.WON).count() == regs.filter(status=S.WON, closed_value__gt=0).count() > 0
        assert not regs.filter(status=S.WON, closed_on__gt=today).exists()
        assert not regs.filter(status=S.LOST, lost_reason="").exists()
        assert not regs.filter(status=S.REJECTED, rejection_code="").exists()
        # A registration's value is the sum of its lines.
        unmatched = (
            regs.filter(conflict_flag=DealRegistration.ConflictFlag.NONE)
            .annotate(lines_total=Sum("lines__value"))
            .exclude(lines_total=F("value"))
        )
        assert not unmatched.exists()


def _conflicts_flag_the_later_registration_of_another_partner(cast) -> None:
    with cast.a.context():
        conflicts = list(Conflict.objects.select_related("registration", "other_registration"))
        assert {c.kind for c in conflicts} == {"exact", "near"}
        for c in conflicts:
            later, first = c.registration, c.other_registration
            assert later.partner_id != first.partner_id
            assert later.country == first.country
            assert later.first_submitted_at > first.first_submitted_at
            assert set(c.product_lines) & set(first.product_lines)
            # A registration with several conflicts is flagged by the strongest.
            kinds = {k.kind for k in conflicts if k.registration_id == later.pk}
            assert later.conflict_flag == ("exact" if "exact" in kinds else "near")
            if c.kind == "exact":
                assert later.customer_name_normalised == first.customer_name_normalised
                # Seeded duplicates share the domain too; a lead's registration, submitted through
                # the service without a domain, matches by name.
                assert c.rule in (Conflict.Rule.NAME_AND_DOMAIN, Conflict.Rule.NAME) and c.score == 1


def _extensions_and_leads_cover_every_state(cast) -> None:
    with cast.a.context():
        assert {e.status for e in DealExtension.objects.all()} == {"pending", "approved"}
        approved = DealExtension.objects.filter(status="approved").values_list("registration", flat=True)
        assert set(
            DealRegistration.objects.filter(pk__in=approved).values_list("extension_count", flat=True)
        ) == {1}
        assert set(Lead.objects.values_list("status", flat=True)) == set(Lead.Status.values)
        offered = Lead.objects.filter(status="offered")
        assert offered.count() == LeadAssignment.objects.filter(outcome="pending").count() > 0
        assert not offered.filter(partner__isnull=True).exists()
        assert not Lead.objects.filter(status="new", partner__isnull=False).exists()
        # Accepted as a partner accepts: each accepted lead has its draft registration.
        accepted = Lead.objects.filter(status="accepted")
        assert accepted.exists()
        from_leads = DealRegistration.objects.filter(lead__in=accepted)
        assert from_leads.count() == accepted.count()
        assert from_leads.exclude(status="draft").exists()  # converted: submitted
        assert from_leads.filter(status="draft").exists()
        # The partners that decline first are many, not always the same one.
        decliners = LeadAssignment.objects.filter(outcome="declined").values("partner").distinct()
        assert decliners.count() > 1
        assert DirectOpportunity.objects.count() == 80


def test_seed_creates_a_consistent_pipeline(seeded):
    _every_status_for_both_partners(seeded)
    _registrations_consistent_with_their_status(seeded)
    _conflicts_flag_the_later_registration_of_another_partner(seeded)
    _extensions_and_leads_cover_every_state(seeded)


def test_seed_runs_once_and_only_for_its_tenant(seeded):
    cast = seeded
    with cast.a.context():
        before = _counts()
        seed_deals(cast.a.tenant)
        assert _counts() == before
    with cast.b.context():
        assert set(_counts().values()) == {0}


def test_seeded_close_dates_give_the_forecast_a_spread_and_a_slippage_to_learn(seeded):
    from insights.models import ForecastPoint
    from insights.services.forecasts import pipeline_forecast_compute, slippage

    with seeded.a.context():
        slips, tenant_slip = slippage(seeded.a.tenant.pk)
        # Partners close later than they said, by their habit (0 to 45 days), never months early.
        assert 0 <= tenant_slip <= 45
        assert all(-15 <= days <= 60 for days in slips.values())
        run = pipeline_forecast_compute()
        months = set(ForecastPoint.objects.filter(series__run=run).values_list("month", flat=True))
        assert len(months) >= 5  # the open pipeline is spread over the coming months, not one
