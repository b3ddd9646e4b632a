"""A partner that passed on a lead keeps only its own offer record: not the lead's contact
details, not later updates, not other partners' decline reasons."""

from __future__ import annotations

import pytest

from deals.models import Lead
from deals.services.leads import lead_create, lead_decline
from partners.models import Partner

pytestmark = pytest.mark.django_db


def _lead(cast) -> Lead:
    Partner.objects.update(country="US", region="West", expertise=["pumps"], status="active", tier="Silver")
    return lead_create(
        acting_membership=cast.a.memberships["manager"],
        data={
            "company": "Prospect Ltd",
            "contact_name": "Casey Contact",
            "contact_email": "casey@prospect.test",
            "contact_phone": "+1 555 0100",
            "country": "US",
            "region": "West",
            "product_interest": "pumps",
            "value": "5000",
            "notes": "Budget approved in Q3",
        },
    )


def _decline(cast, lead: Lead, reason: str) -> Lead:
    who = "p1_user" if lead.partner.code == "D100" else "p2_user"
    return lead_decline(lead=lead, acting_membership=cast.a.memberships[who], reason=reason)


def test_the_partner_that_passed_sees_only_its_own_offer(cast):
    with cast.a.context():
        lead = _lead(cast)
        first = lead.partner
        lead = _decline(cast, lead, "No capacity this quarter")
        second = lead.partner
        assert second is not None and second.pk != first.pk
        _decline(cast, lead, "Outside our focus: rival reason")
    passed = cast.a.client("p1_user" if first.code == "D100" else "p2_user")
    body = passed.get(f"/deals/leads/{lead.pk}/").content.decode()
    assert 'data-testid="passed-on"' in body and "No capacity this quarter" in body
    for secret in ("casey@prospect.test", "+1 555 0100", "Budget approved", "rival reason", "5,000"):
        assert secret not in body, secret
    listing = passed.get("/deals/leads/").content.decode()
    assert "Prospect Ltd" in listing and "5,000" not in listing and "5000" not in listing


def test_the_partner_holding_the_lead_still_sees_its_details(cast):
    with cast.a.context():
        lead = _lead(cast)
        code = lead.partner.code
    holder = cast.a.client("p1_user" if code == "D100" else "p2_user")
    body = holder.get(f"/deals/leads/{lead.pk}/").content.decode()
    assert "casey@prospect.test" in body and 'data-testid="passed-on"' not in body
