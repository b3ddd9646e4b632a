"""Builders for API tests (call inside tenant A's context)."""

from __future__ import annotations

from deals.models import Lead
from deals.services.leads import lead_create
from partners.models import Partner


def offered_lead(cast, company: str = "Lead Co") -> Lead:
    """A lead routed by the rules to partner P1 (the only partner with pump expertise)."""
    Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(expertise=["pumps"])
    lead = lead_create(
        acting_membership=cast.a.memberships["manager"],
        data={"company": company, "country": "US", "product_interest": "pumps", "value": "500"},
    )
    assert lead.partner_id == cast.a.partners["p1"].pk
    return lead
