"""Every deals page renders for the roles that use it, on a seeded pipeline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deals.models import Customer, DealExtension, DealRegistration, DirectOpportunity, Lead, RoutingRule
from deals.seed import seed_deals
from partners.models import Partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(cast):
    with cast.a.context():
        seed_deals(cast.a.tenant)
        Partner.objects.update(status="active")
    return cast


def test_vendor_pages_render(seeded):
    cast = seeded
    with cast.a.context():
        conflicted = DealRegistration.objects.filter(conflicts__isnull=False).first()
        approved = DealRegistration.objects.filter(status="approved").first()
        lead = Lead.objects.filter(status="new").first()
        rule = RoutingRule.objects.first()
    urls = [
        reverse("deals:list"), reverse("deals:list") + "?status=open&product_line=pumps&value_min=1&from=2020-01-01",
        reverse("deals:review_queue"), reverse("deals:review", args=[conflicted.pk]), reverse("deals:detail", args=[approved.pk]),
        reverse("deals:dashboard"), reverse("deals:leads"), reverse("deals:lead_detail", args=[lead.pk]),
        reverse("deals:routing_rules"), reverse("deals:routing_rule_edit", args=[rule.pk]), reverse("deals:opportunities"),
        "/",
    ]  # fmt: skip
    client = cast.a.client("manager")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Routing preview" in client.get(reverse("deals:lead_detail", args=[lead.pk])).content.decode()
    admin = cast.a.client("admin")
    assert admin.get(reverse("deals:settings")).status_code in (200, 302)


def test_partner_pages_render(seeded):
    cast = seeded
    p1 = cast.a.partners["p1"]
    with cast.a.context():
        approved = DealRegistration.objects.filter(partner=p1, status="approved").first()
        draft = DealRegistration.objects.filter(partner=p1, status="draft").first()
        offered = Lead.objects.filter(partner=p1, status="offered").first()
        customer = Customer.objects.filter(partner=p1).first()
        assert DealExtension.objects.exists() and DirectOpportunity.objects.exists()
    client = cast.a.client("p1_admin")
    for url in [reverse("deals:list"), reverse("deals:new"), reverse("deals:detail", args=[approved.pk]),
                reverse("deals:edit", args=[draft.pk]), reverse("deals:leads"), reverse("deals:lead_detail", args=[offered.pk]),
                reverse("deals:customer_fill", args=[customer.pk]), "/"]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(reverse("deals:lead_detail", args=[offered.pk])).content.decode()
    assert 'data-testid="lead-accept"' in body
