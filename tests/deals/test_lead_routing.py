"""Lead routing: rules in order (territory, expertise, minimum tier, capacity), round-robin or
weighted distribution, accept -> draft registration, decline -> re-route without decliners,
everyone declined -> vendor queue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from deals.models import DealRegistration, Lead, LeadAssignment, RoutingRule
from deals.services.leads import lead_accept, lead_create, lead_decline, routing_preview
from partners.models import Partner
from prm.audit.models import AuditEvent
from prm.workflow import DomainError

pytestmark = pytest.mark.django_db


def _setup(cast, *, p1=None, p2=None):
    defaults = {
        "country": "US",
        "region": "West",
        "tier": "Silver",
        "expertise": ["pumps"],
        "status": "active",
    }
    Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(**{**defaults, **(p1 or {})})
    Partner.objects.filter(pk=cast.a.partners["p2"].pk).update(**{**defaults, **(p2 or {})})


def _lead(cast, **extra) -> Lead:
    data = {
        "company": "Prospect Ltd",
        "country": "US",
        "region": "West",
        "product_interest": "pumps",
        "value": "5000",
        **extra,
    }
    return lead_create(acting_membership=cast.a.memberships["manager"], data=data)


def test_territory_expertise_and_tier_filter_partners_and_preview_explains(cast):
    with cast.a.context():
        _setup(cast, p1={"country": "CA", "region": "Canada"}, p2={"tier": "Registered"})
        RoutingRule.objects.create(position=1, name="Gold only", min_tier="Silver")
        lead = _lead(cast)
        assert lead.status == Lead.Status.RETURNED or lead.status == Lead.Status.NEW
        preview = routing_preview(lead)
        reasons = {c.partner.code: c.failed for c in preview.checks}
        assert reasons == {"D100": "territory", "D200": "tier"}
        assert preview.partner is None


def test_expertise_is_required_by_default(cast):
    with cast.a.context():
        _setup(cast, p1={"expertise": ["valves"]})
        lead = _lead(cast)
        assert lead.partner_id == cast.a.partners["p2"].pk
        assert {c.partner.code: c.failed for c in routing_preview(lead).checks}["D100"] == "expertise"


def test_rule_order_picks_the_first_matching_rule(cast):
    with cast.a.context():
        _setup(cast, p1={"country": "CA"})
        RoutingRule.objects.create(position=1, name="Canada only", countries=["CA"], match_territory=False)
        RoutingRule.objects.create(
            position=2, name="Anywhere", match_territory=False, require_expertise=False
        )
        lead = _lead(cast, country="DE", region="")
        assert LeadAssignment.objects.get(lead=lead).rule.name == "Anywhere"


def test_round_robin_alternates_between_eligible_partners(cast):
    with cast.a.context():
        _setup(cast)
        partners = [_lead(cast, company=f"P{i}").partner.code for i in range(4)]
        assert partners == ["D100", "D200", "D100", "D200"]


def test_weighted_distribution_favours_higher_tiers(cast):
    with cast.a.context():
        _setup(cast, p1={"tier": "Platinum"}, p2={"tier": "Registered"})
        RoutingRule.objects.create(position=1, name="Weighted", distribution="weighted", max_open_leads=100)
        partners = [_lead(cast, company=f"P{i}").partner.code for i in range(5)]
        assert partners.count("D100") == 4
        assert partners.count("D200") == 1


def test_capacity_limits_open_leads(cast):
    with cast.a.context():
        _setup(cast, p2={"country": "CA", "region": "Canada"})
        RoutingRule.objects.create(position=1, name="Cap", max_open_leads=1)
        first = _lead(cast)
        second = _lead(cast, company="Second")
        assert first.partner.code == "D100"
        assert second.status == Lead.Status.NEW
        assert {c.partner.code: c.failed for c in routing_preview(second).checks}["D100"] == "capacity"


def test_accept_converts_into_a_prefilled_draft_registration(cast):
    with cast.a.context():
        _setup(cast, p2={"country": "CA", "region": "Canada"})
        lead = _lead(cast, contact_name="Lee", contact_email="lee@prospect.test")
        registration = lead_accept(
            lead=lead, acting_membership=cast.a.memberships["p1_user"], owner=cast.a.users["p1_admin"]
        )
        lead.refresh_from_db()
        assert lead.status == Lead.Status.ACCEPTED
        assert lead.owner == cast.a.users["p1_admin"]
        assert registration.status == DealRegistration.Status.DRAFT
        assert registration.partner_id == cast.a.partners["p1"].pk
        assert (registration.customer_name, registration.country, registration.contact_email) == (
            "Prospect Ltd",
            "US",
            "lee@prospect.test",
        )
        assert registration.value == Decimal("5000")
        assert registration.owner == cast.a.users["p1_admin"]
        assert registration.lead_id == lead.pk
        assert AuditEvent.objects.filter(action="lead.accept", object_id=str(lead.pk)).exists()


def test_other_partner_cannot_accept(cast):
    with cast.a.context():
        _setup(cast, p2={"country": "CA", "region": "Canada"})
        lead = _lead(cast)
        with pytest.raises(DomainError):
            lead_accept(lead=lead, acting_membership=cast.a.memberships["p2_user"])
        with pytest.raises(PermissionDenied):
            lead_accept(lead=lead, acting_membership=cast.a.memberships["manager"])


def test_declined_lead_is_rerouted_without_decliners_then_returns_to_vendor_queue(cast):
    with cast.a.context():
        _setup(cast)
        lead = _lead(cast)
        first = lead.partner
        lead = lead_decline(
            lead=lead,
            acting_membership=cast.a.memberships[f"{'p1' if first.code == 'D100' else 'p2'}_user"],
            reason="No capacity",
        )
        second = lead.partner
        assert second is not None and second != first
        lead = lead_decline(
            lead=lead,
            acting_membership=cast.a.memberships[f"{'p1' if second.code == 'D100' else 'p2'}_user"],
            reason="Not our market",
        )
        assert lead.status == Lead.Status.RETURNED
        assert lead.partner is None
        outcomes = list(lead.assignments.order_by("id").values_list("outcome", "decline_reason"))
        assert outcomes == [("declined", "No capacity"), ("declined", "Not our market")]


def test_decline_needs_a_reason(cast):
    with cast.a.context():
        _setup(cast)
        lead = _lead(cast)
        who = "p1_user" if lead.partner.code == "D100" else "p2_user"
        with pytest.raises(DomainError):
            lead_decline(lead=lead, acting_membership=cast.a.memberships[who], reason="")
        assert lead.assignments.get().outcome == "pending"
