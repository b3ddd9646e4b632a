"""Scorecards through the KPI provider registry, tier qualification on boundary values, and the
manager's decision on each proposal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from partners import kpis
from partners.models import Kpi, Partner, Scorecard, TierProposal
from partners.selectors import tier_benefits
from partners.services.scorecards import (
    scorecards_calculate,
    tier_gap,
    tier_proposal_approve,
    tier_proposal_reject,
)
from prm.audit.models import AuditEvent
from prm.notifications.models import Notification
from prm.workflow import InvalidTransition
from tests.partners import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def revenue():
    """A stand-in for the POS app's revenue provider: {partner_id: Decimal}."""
    figures: dict[int, Decimal] = {}
    kpis.register_kpi_provider(
        "test.revenue",
        lambda ids, start, end: {pid: {Kpi.REVENUE_12M: figures[pid]} for pid in ids if pid in figures},
    )
    yield figures
    kpis._PROVIDERS.pop("test.revenue", None)


def _certify(cast, n: int) -> None:
    from django.utils import timezone

    from partners.models import Certification

    today = timezone.localdate()
    for key in ["p1_admin", "p1_user"][:n]:
        helpers.certification(
            cast,
            user_key=key,
            status=Certification.Status.VALID,
            issued_on=today.replace(year=today.year - 1),
            expires_on=today.replace(year=today.year + 1),
        )


def _move_to(cast, program, name: str) -> None:
    tier = helpers.tier(program, name)
    Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(current_tier=tier, tier=tier.name)


@pytest.mark.parametrize(
    ("amount", "certified", "expected"),
    [
        ("499999.99", 2, "Silver"),  # one cent short of Gold
        ("500000.00", 2, "Gold"),  # exactly on the boundary qualifies
        ("500000.00", 1, "Silver"),  # revenue alone is not enough
        ("99999.99", 1, None),  # short of Silver: stays Registered, no proposal
        ("100000.00", 1, "Silver"),
    ],
)
def test_tier_proposal_on_boundary_values(cast, revenue, amount, certified, expected):
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        _certify(cast, certified)
        revenue[cast.a.partners["p1"].pk] = Decimal(amount)
        scorecards_calculate()
        card = Scorecard.objects.get(partner=cast.a.partners["p1"])
        assert card.values[Kpi.REVENUE_12M] == amount and card.values[Kpi.CERTIFIED_PEOPLE] == str(certified)
        proposal = TierProposal.objects.filter(partner=cast.a.partners["p1"], status="pending").first()
        if expected is None:
            assert proposal is None
        else:
            assert (proposal.to_tier.name, proposal.direction) == (expected, "promotion")
            assert AuditEvent.objects.filter(action="tier_proposal.create").exists()
        assert program


def test_partner_below_its_tier_rules_is_proposed_for_demotion(cast, revenue):
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        _move_to(cast, program, "Gold")
        _certify(cast, 2)
        revenue[cast.a.partners["p1"].pk] = Decimal("120000")
        scorecards_calculate()
        proposal = TierProposal.objects.get(partner=cast.a.partners["p1"], status="pending")
        assert (proposal.from_tier.name, proposal.to_tier.name, proposal.direction) == (
            "Gold",
            "Silver",
            "demotion",
        )


def test_recalculation_is_idempotent_and_withdraws_outdated_proposals(cast, revenue):
    with cast.a.context():
        helpers.program_with_partners(cast)
        _certify(cast, 2)
        pid = cast.a.partners["p1"].pk
        revenue[pid] = Decimal("600000")
        scorecards_calculate()
        scorecards_calculate()
        assert Scorecard.objects.filter(partner_id=pid).count() == 1
        assert TierProposal.objects.filter(partner_id=pid).count() == 1
        revenue[pid] = Decimal("150000")
        scorecards_calculate()
        statuses = sorted(TierProposal.objects.filter(partner_id=pid).values_list("to_tier__name", "status"))
        assert statuses == [("Gold", "withdrawn"), ("Silver", "pending")]


def test_approving_a_proposal_moves_the_partner_and_notifies_it(cast, revenue):
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        proposal = helpers.proposal(cast, program)
        tier_proposal_approve(
            proposal=proposal, acting_membership=cast.a.memberships["manager"], note="Well done"
        )
        partner = Partner.objects.get(pk=cast.a.partners["p1"].pk)
        assert (partner.tier, partner.current_tier.name) == ("Silver", "Silver")
        assert tier_benefits(partner).registration_discount_pct == Decimal("5.00")
        assert (
            AuditEvent.objects.filter(action__in=["tier_proposal.approve", "partner.tier_change"]).count()
            == 2
        )
        assert Notification.objects.filter(recipient=cast.a.users["p1_admin"], verb="tier.changed").exists()
        with pytest.raises(InvalidTransition):
            tier_proposal_reject(proposal=proposal, acting_membership=cast.a.memberships["manager"])


def test_rejecting_a_proposal_keeps_the_tier(cast):
    with cast.a.context():
        program = helpers.program_with_partners(cast)
        proposal = helpers.proposal(cast, program)
        tier_proposal_reject(proposal=proposal, acting_membership=cast.a.memberships["admin"], note="Not yet")
        assert Partner.objects.get(pk=cast.a.partners["p1"].pk).tier == "Registered"
        assert AuditEvent.objects.get(action="tier_proposal.reject").after["note"] == "Not yet"


def test_partners_cannot_decide_proposals(cast):
    with cast.a.context():
        proposal = helpers.proposal(cast, helpers.program_with_partners(cast))
        with pytest.raises(PermissionDenied):
            tier_proposal_approve(proposal=proposal, acting_membership=cast.a.memberships["p1_admin"])
        assert TierProposal.objects.get(pk=proposal.pk).status == "pending"


def test_gap_to_the_next_tier_per_kpi(cast, revenue):
    with cast.a.context():
        helpers.program_with_partners(cast)
        revenue[cast.a.partners["p1"].pk] = Decimal("40000")
        scorecards_calculate()
        partner = Partner.objects.get(pk=cast.a.partners["p1"].pk)
        gap = tier_gap(partner, Scorecard.objects.get(partner=partner))
        rows = {r["kpi"]: r for r in gap["rows"]}
        assert gap["tier"].name == "Silver"
        assert rows[Kpi.REVENUE_12M]["gap"] == Decimal("60000") and not rows[Kpi.REVENUE_12M]["met"]
        assert rows[Kpi.CERTIFIED_PEOPLE]["gap"] == Decimal("1")


def test_expired_certifications_stop_counting(cast):
    from datetime import timedelta

    from django.utils import timezone

    from partners.models import Certification

    with cast.a.context():
        helpers.program_with_partners(cast)
        today = timezone.localdate()
        helpers.certification(
            cast,
            status=Certification.Status.VALID,
            issued_on=today - timedelta(days=400),
            expires_on=today - timedelta(days=1),
        )
        scorecards_calculate()
        assert Scorecard.objects.get(partner=cast.a.partners["p1"]).values[Kpi.CERTIFIED_PEOPLE] == "0"


def test_win_rate_is_derived_from_deal_providers(cast):
    with cast.a.context():
        kpis.register_kpi_provider(
            "test.deals",
            lambda ids, s, e: {
                pid: {Kpi.DEALS_APPROVED: Decimal(8), Kpi.DEALS_WON: Decimal(2)} for pid in ids
            },
        )
        try:
            from datetime import date

            values = kpis.kpi_values([cast.a.partners["p1"].pk], date(2026, 1, 1), date(2026, 12, 31))
        finally:
            kpis._PROVIDERS.pop("test.deals")
        assert values[cast.a.partners["p1"].pk][Kpi.WIN_RATE] == Decimal("25.00")


def test_on_demand_recalculation_runs_as_a_job(cast, django_capture_on_commit_callbacks):
    with cast.a.context():
        helpers.program_with_partners(cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.a.client("manager").post(
            f"/partners/{cast.a.partners['p1'].pk}/scorecard/recalculate/"
        )
    assert response.status_code == 302 and "/jobs/" in response["Location"]
    with cast.a.context():
        from prm.jobs.models import Job

        job = Job.objects.get(kind="partners:scorecards")
        assert job.status == "succeeded" and job.result["partners"] == 1
        assert Scorecard.objects.filter(partner=cast.a.partners["p1"]).exists()


def test_a_provider_returning_an_unknown_kpi_code_is_refused(cast):
    import datetime

    kpis.register_kpi_provider(
        "test.misspelt", lambda ids, start, end: {pid: {"revenue_12months": Decimal("1")} for pid in ids}
    )
    try:
        with cast.a.context(), pytest.raises(kpis.UnknownKpi, match="revenue_12months"):
            kpis.kpi_values(
                [cast.a.partners["p1"].pk], datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
            )
    finally:
        kpis._PROVIDERS.pop("test.misspelt", None)
