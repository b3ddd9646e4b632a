"""Every deals page shows the seeded pipeline's real data to the roles that use it: the rows, names,
rules and figures that are in the database, not only a 200."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.db.models import Q
from django.urls import reverse
from django.utils.html import escape

from deals.models import (
    Conflict,
    Customer,
    DealExtension,
    DealRegistration,
    DealSettings,
    DirectOpportunity,
    Lead,
    RoutingRule,
)
from deals.seed import seed_deals
from partners.models import Partner
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

S = DealRegistration.Status
OPEN = {S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED}


@pytest.fixture
def seeded(cast):
    with cast.a.context():
        # A second product line, so that a product-line filter has rows to leave out.
        ProductFactory(sku="VLV-1", category="valves")
        seed_deals(cast.a.tenant)
        Partner.objects.update(status="active")
    return cast


def _page(client, url, params=None):
    """GET a page that must render (200); (response, body)."""
    response = client.get(url, params or {})
    assert response.status_code == 200, url
    return response, response.content.decode()


def _shown(body: str, pattern: str) -> list[str]:
    return re.findall(pattern, body)


def _refs(body: str) -> list[str]:
    return _shown(body, r">(DR-\d{6})</a>")


def _pipeline_lists_every_partners_registrations_newest_first(cast) -> None:
    with cast.a.context():
        total = DealRegistration.objects.count()
        newest = list(DealRegistration.objects.order_by("-created_at", "-pk")[:50])
    response, body = _page(cast.a.client("manager"), reverse("deals:list"))
    assert response.context["page"].paginator.count == total
    assert _refs(body) == [r.reference for r in newest]
    assert escape(newest[0].customer_name) in body
    assert "D100 Northwind Distribution" in body and "D200 Contoso Supply" in body
    assert len(set(_shown(body, r'<tr data-status="(\w+)"'))) > 1


def _pipeline_filters_keep_the_matching_registrations_and_drop_the_rest(cast) -> None:
    with cast.a.context():
        candidates = DealRegistration.objects.filter(status__in=OPEN, product_lines__contains=["valves"])
        values = sorted(candidates.values_list("value", flat=True))
        threshold = values[len(values) // 2]
        expected = candidates.filter(value__gte=threshold, created_at__date__gte="2020-01-01")
        expected_refs = [r.reference for r in expected.order_by("-created_at", "-pk")[:50]]
        count = expected.count()
        excluded = {
            "status": DealRegistration.objects.filter(status=S.APPROVED, product_lines__contains=["valves"]),
            "product line": DealRegistration.objects.filter(status__in=OPEN, product_lines=["pumps"]),
            "value": candidates.filter(value__lt=threshold),
        }
        assert all(qs.exists() for qs in excluded.values())
        excluded_refs = {key: {r.reference for r in qs} for key, qs in excluded.items()}
        total = DealRegistration.objects.count()
    params = {"status": "open", "product_line": "valves", "value_min": str(threshold), "from": "2020-01-01"}
    response, body = _page(cast.a.client("manager"), reverse("deals:list"), params)
    assert 0 < count < total
    assert response.context["page"].paginator.count == count
    assert _refs(body) == expected_refs
    assert set(_shown(body, r'<tr data-status="(\w+)"')) <= {str(s) for s in OPEN}
    for reason, refs in excluded_refs.items():
        assert not refs & set(_refs(body)), reason


def _review_queue_lists_the_registrations_waiting_in_sla_order(cast) -> None:
    with cast.a.context():
        waiting = DealRegistration.objects.filter(status__in=[S.SUBMITTED, S.UNDER_REVIEW])
        count = waiting.count()
        first = waiting.order_by("review_due_at", "submitted_at", "pk").first()
        pending = DealExtension.objects.filter(status="pending").select_related("registration").first()
    response, body = _page(cast.a.client("manager"), reverse("deals:review_queue"))
    assert response.context["page"].paginator.count == count > 0
    assert _refs(body)[0] == first.reference
    assert escape(first.customer_name) in body
    assert "Extension requests" in body and escape(pending.reason) in body


def _review_page_shows_both_sides_of_the_conflict_and_the_rule(cast) -> None:
    with cast.a.context():
        conflict = (
            Conflict.objects.filter(kind="exact", registration__status=S.SUBMITTED)
            .select_related("registration", "other_registration__partner")
            .first()
        )
        registration, earlier = conflict.registration, conflict.other_registration
    _response, body = _page(cast.a.client("manager"), reverse("deals:review", args=[registration.pk]))
    assert escape(registration.customer_name) in body
    assert escape(earlier.customer_name) in body and earlier.partner.name in body
    assert re.search(
        r'data-testid="conflict-rule">' + re.escape(escape(conflict.get_rule_display())) + "<", body
    )
    assert f"<strong>{conflict.score}</strong>" in body
    assert 'data-testid="approve-form"' in body and 'data-testid="no-conflicts"' not in body


def _registration_page_shows_the_customer_and_the_protection(cast) -> None:
    with cast.a.context():
        approved = DealRegistration.objects.filter(status=S.APPROVED).select_related("partner").first()
        lines = list(approved.lines.values_list("product_line", flat=True))
    _response, body = _page(cast.a.client("manager"), reverse("deals:detail", args=[approved.pk]))
    assert f"{approved.reference} · {escape(approved.customer_name)}" in body
    assert approved.partner.name in body and approved.contact_email in body
    assert 'data-testid="protection"' in body
    assert all(f"<td>{line}</td>" in body for line in lines)


def _dashboard_chart_data_matches_the_pipeline(cast) -> None:
    with cast.a.context():
        by_status = {s: DealRegistration.objects.filter(status=s).count() for s in S.values}
    _response, body = _page(cast.a.client("manager"), reverse("deals:dashboard"))
    match = re.search(r'<script id="deals-dashboard-data" type="application/json">(.*?)</script>', body)
    assert match, "the chart data element is missing"
    chart = json.loads(match.group(1))
    assert chart["stages"]["counts"] == [by_status[s] for s in S.values]
    assert sum(chart["stages"]["counts"]) == sum(by_status.values()) > 0
    assert set(chart["partners"]["labels"]) == {"D100", "D200"}
    assert 'id="deals-stage-chart"' in body


def _lead_pages_show_the_leads_and_the_routing_preview(cast) -> None:
    with cast.a.context():
        total = Lead.objects.count()
        newest = Lead.objects.order_by("-created_at", "-pk").first()
        new = Lead.objects.filter(status="new").first()
    client = cast.a.client("manager")
    response, body = _page(client, reverse("deals:leads"))
    assert response.context["page"].paginator.count == total
    assert escape(newest.company) in body
    _response, body = _page(client, reverse("deals:lead_detail", args=[new.pk]))
    assert escape(new.company) in body and new.contact_email in body
    assert 'data-testid="routing-preview"' in body and "Routing preview" in body


def _routing_rule_pages_show_the_rules(cast) -> None:
    with cast.a.context():
        rules = list(RoutingRule.objects.order_by("position"))
    client = cast.a.client("manager")
    _response, body = _page(client, reverse("deals:routing_rules"))
    assert [r.name for r in rules] == ["Key accounts: Gold and up", "North America", "Everywhere else"]
    assert all(escape(r.name) in body for r in rules)
    rule = rules[1]
    _response, body = _page(client, reverse("deals:routing_rule_edit", args=[rule.pk]))
    assert f'<h1 class="h3 mb-3">{rule.name}</h1>' in body
    assert re.search(r'<input[^>]*name="name"[^>]*value="North America"', body)
    assert escape(rules[0].name) not in body


def _opportunity_page_lists_the_direct_opportunities(cast) -> None:
    with cast.a.context():
        total = DirectOpportunity.objects.count()
        some = DirectOpportunity.objects.order_by("reference").first()
    response, body = _page(cast.a.client("manager"), reverse("deals:opportunities"), {"q": some.reference})
    assert response.context["page"].paginator.count == 1
    assert some.reference in body and escape(some.customer_name) in body
    response, _body = _page(cast.a.client("manager"), reverse("deals:opportunities"))
    assert response.context["page"].paginator.count == total == 80


def _vendor_home_shows_the_deals_panel_with_the_waiting_count(cast) -> None:
    with cast.a.context():
        waiting = DealRegistration.objects.filter(status__in=[S.SUBMITTED, S.UNDER_REVIEW]).count()
    _response, body = _page(cast.a.client("manager"), "/")
    assert 'data-testid="deals-panel"' in body
    assert f"Waiting for review: <strong>{waiting}</strong>" in body


def _admin_sees_the_settings_form_with_the_stored_values(cast) -> None:
    with cast.a.context():
        DealSettings.objects.filter(pk=DealSettings.current().pk).update(
            protection_days=45, fuzzy_threshold=Decimal("0.75")
        )
    _response, body = _page(cast.a.client("admin"), reverse("deals:settings"))
    assert re.search(r'<input[^>]*name="protection_days"[^>]*value="45"', body)
    assert re.search(r'<input[^>]*name="fuzzy_threshold"[^>]*value="0.75"', body)
    for field in ("review_sla_hours", "lead_sla_hours", "max_open_leads", "distribution", "tier_order"):
        assert f'name="{field}"' in body, field
    assert cast.a.client("manager").get(reverse("deals:settings")).status_code == 403


# Seeding the pipeline takes seconds: each test below checks several pages on one seed.


def test_pipeline_pages_show_the_registrations_the_filters_select(seeded):
    _pipeline_lists_every_partners_registrations_newest_first(seeded)
    _pipeline_filters_keep_the_matching_registrations_and_drop_the_rest(seeded)


def test_review_pages_show_the_waiting_registrations_and_their_conflicts(seeded):
    _review_queue_lists_the_registrations_waiting_in_sla_order(seeded)
    _review_page_shows_both_sides_of_the_conflict_and_the_rule(seeded)
    _registration_page_shows_the_customer_and_the_protection(seeded)


def test_dashboard_home_and_settings_show_the_stored_figures(seeded):
    _dashboard_chart_data_matches_the_pipeline(seeded)
    _vendor_home_shows_the_deals_panel_with_the_waiting_count(seeded)
    _admin_sees_the_settings_form_with_the_stored_values(seeded)


def test_lead_rule_and_opportunity_pages_show_their_rows(seeded):
    _lead_pages_show_the_leads_and_the_routing_preview(seeded)
    _routing_rule_pages_show_the_rules(seeded)
    _opportunity_page_lists_the_direct_opportunities(seeded)


def test_admin_without_an_authenticator_is_sent_to_mfa_enrolment_not_the_settings(cast):
    """Why the settings page could answer 302 for an admin: vendor admins must enrol TOTP first."""
    Authenticator.objects.filter(user=cast.a.users["admin"]).delete()
    response = cast.a.client("admin").get(reverse("deals:settings"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_partner_pages_show_the_partners_own_registrations_leads_and_customers(seeded):
    cast = seeded
    p1 = cast.a.partners["p1"]
    with cast.a.context():
        own = DealRegistration.objects.filter(partner=p1)
        own_refs = {r.reference for r in own}
        own_count = own.count()
        approved = own.filter(status=S.APPROVED).first()
        draft = own.filter(status=S.DRAFT).first()
        offered = Lead.objects.filter(partner=p1, status="offered").first()
        own_leads = set(
            Lead.objects.filter(Q(partner=p1) | Q(assignments__partner=p1)).values_list("pk", flat=True)
        )
        all_leads = Lead.objects.count()
        customer = Customer.objects.filter(partner=p1).first()
        drafts = own.filter(status=S.DRAFT).count()
    client = cast.a.client("p1_admin")

    response, body = _page(client, reverse("deals:list"))
    assert response.context["page"].paginator.count == own_count
    assert _refs(body) and set(_refs(body)) <= own_refs
    assert "Contoso Supply" not in body

    _response, body = _page(client, reverse("deals:new"))
    assert 'name="customer_name"' in body and 'name="lines-TOTAL_FORMS"' in body

    _response, body = _page(client, reverse("deals:detail", args=[approved.pk]))
    assert escape(approved.customer_name) in body and 'data-testid="protection"' in body
    assert 'data-testid="add-line"' in body

    _response, body = _page(client, reverse("deals:edit", args=[draft.pk]))
    assert re.search(r'name="customer_name"[^>]*value="' + re.escape(escape(draft.customer_name)) + '"', body)

    response, body = _page(client, reverse("deals:leads"))
    assert response.context["page"].paginator.count == len(own_leads) < all_leads
    assert {lead.pk for lead in response.context["page"]} <= own_leads
    assert escape(offered.company) in body

    _response, body = _page(client, reverse("deals:lead_detail", args=[offered.pk]))
    assert escape(offered.company) in body
    assert 'data-testid="lead-accept"' in body and 'data-testid="lead-decline"' in body

    _response, body = _page(client, reverse("deals:customer_fill", args=[customer.pk]))
    assert f'value="{escape(customer.domain)}"' in body and f'value="{customer.contact_email}"' in body

    _response, body = _page(client, "/")
    assert 'data-testid="deals-panel"' in body and f"Drafts: <strong>{drafts}</strong>" in body
