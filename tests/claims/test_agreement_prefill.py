"""A new special pricing agreement pre-filled from an approved deal registration of the
distributor and end customer: deals provides the registrations through ``partners.registries``
(claims never imports deals); the back-office form offers them, fills partner, customer, dates
and lines (SKU, quantity, book cost, approved cost), and the saved agreement keeps the
registration's reference."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import PricingAgreement
from deals.services.review import registration_approve
from partners.registries import deal_prefills
from prm.audit.models import AuditEvent
from prm.finance.models import FxRate
from tests.deals.helpers import register
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
NEW = reverse("claims:agreement_new")


def _approved(cast, who="p1_user", name="Acme Inc.", *, lines=(("pumps", 4, "1000.00"),), discount="10"):
    domain = re.sub(r"[^a-z0-9]", "", name.lower()) + ".example"
    with cast.a.context():
        registration = register(cast, who, name, domain=domain, lines=lines)
        return registration_approve(
            registration=registration,
            acting_membership=cast.a.memberships["manager"],
            discount_pct=Decimal(discount),
        )


def _value(body: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', body) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', body
    )
    return match.group(1) if match else ""


def test_deals_provides_approved_registrations_with_the_approved_price_per_unit(cast):
    approved = _approved(cast, lines=(("pumps", 4, "1000.00"), ("valves", 3, "100.00")))
    with cast.a.context():
        register(cast, "p1_user", "Pending Corp", domain="pending.example")  # submitted, not approved
        found = deal_prefills([cast.a.partners["p1"].pk])
        assert [f.id for f in found] == [approved.pk]
        (prefill,) = found
        assert (prefill.reference, prefill.end_customer, prefill.currency) == (
            approved.reference,
            "Acme Inc.",
            "USD",
        )
        assert prefill.discount_pct == Decimal("10.00")
        pumps, valves = prefill.lines
        assert (pumps.product_line, pumps.quantity, pumps.unit_value, pumps.approved_unit_price) == (
            "pumps",
            4,
            Decimal("250.00"),
            Decimal("225.00"),
        )
        assert (valves.unit_value, valves.approved_unit_price) == (Decimal("33.33"), Decimal("30.00"))
        assert deal_prefills([cast.a.partners["p2"].pk]) == []
        assert deal_prefills([cast.a.partners["p1"].pk], approved.pk + 999) == []


def test_the_form_offers_approved_registrations_and_prefills_partner_customer_and_lines(cast):
    approved = _approved(cast)
    client = cast.a.client("manager")
    body = client.get(NEW).content.decode()
    assert approved.reference in body and "Acme Inc." in body
    body = client.get(NEW, {"registration": approved.pk}).content.decode()
    assert 'data-testid="prefill"' in body and approved.reference in body
    assert _value(body, "end_customer") == "Acme Inc."
    assert _value(body, "registration") == str(approved.pk)
    assert re.search(rf'<option value="{cast.a.partners["p1"].pk}" selected', body)
    # "pumps" names one product in this catalog: its SKU is filled in.
    assert _value(body, "lines-0-sku") == "PMP-100"
    assert _value(body, "lines-0-authorized_quantity") == "4"
    assert _value(body, "lines-0-book_cost") == "250.00"
    assert _value(body, "lines-0-approved_cost") == "225.00"
    assert _value(body, "start_date") == timezone.localdate(approved.decided_at).isoformat()
    assert _value(body, "end_date") == approved.protection_until.isoformat()


def test_saving_the_prefilled_form_creates_the_agreement_with_the_registration_reference(cast):
    approved = _approved(cast)
    data = {
        "number": "SPA-DR-1",
        "partner": cast.a.partners["p1"].pk,
        "end_customer": "Acme Inc.",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "registration": approved.pk,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-sku": "PMP-100",
        "lines-0-book_cost": "250.00",
        "lines-0-approved_cost": "225.00",
        "lines-0-authorized_quantity": "4",
    }
    response = cast.a.client("manager").post(NEW, data)
    assert response.status_code == 302
    with cast.a.context():
        spa = PricingAgreement.objects.get(number="SPA-DR-1")
        assert spa.deal_reference == approved.reference
        assert spa.lines.get().allowed_debit == Decimal("25.00")
        event = AuditEvent.objects.get(action="agreement.create", object_id=str(spa.pk))
        assert event.after["deal_reference"] == approved.reference
    detail = cast.a.client("manager").get(reverse("claims:agreement_detail", args=[spa.pk])).content.decode()
    assert approved.reference in detail


def test_a_prefilled_agreement_for_another_distributor_or_an_unusable_registration_is_refused(cast):
    approved = _approved(cast)
    base = {
        "number": "SPA-X",
        "end_customer": "Acme Inc.",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-sku": "PMP-100",
        "lines-0-book_cost": "250.00",
        "lines-0-approved_cost": "225.00",
        "lines-0-authorized_quantity": "4",
    }
    client = cast.a.client("manager")
    other = client.post(NEW, {**base, "partner": cast.a.partners["p2"].pk, "registration": approved.pk})
    assert other.status_code == 200
    assert f"started from {approved.reference} is for its distributor, D100" in other.content.decode()
    gone = client.post(NEW, {**base, "partner": cast.a.partners["p1"].pk, "registration": approved.pk + 999})
    assert gone.status_code == 200 and "no longer approved" in gone.content.decode()
    with cast.a.context():
        assert not PricingAgreement.objects.exists()


def test_unapproved_other_tenant_and_unknown_registrations_prefill_nothing(cast):
    with cast.a.context():
        submitted = register(cast, "p1_user", "Pending Corp", domain="pending.example")
    client = cast.a.client("manager")
    for value in (submitted.pk, submitted.pk + 999, "x"):
        body = client.get(NEW, {"registration": value}).content.decode()
        assert 'data-testid="prefill"' not in body
    assert "not approved or not yours" in client.get(NEW, {"registration": submitted.pk}).content.decode()
    assert cast.b.client("admin").get(NEW, {"registration": submitted.pk}).status_code == 200
    assert (
        'data-testid="prefill"'
        not in cast.b.client("admin").get(NEW, {"registration": submitted.pk}).content.decode()
    )
    for who in ("p1_admin", "p1_user", "finance", "marketing"):
        assert cast.a.client(who).get(NEW, {"registration": submitted.pk}).status_code == 403


def test_several_products_on_a_product_line_leave_the_sku_to_choose_with_a_hint(cast):
    with cast.a.context():
        ProductFactory(sku="PMP-200", category="pumps")
    approved = _approved(cast)
    body = cast.a.client("manager").get(NEW, {"registration": approved.pk}).content.decode()
    assert _value(body, "lines-0-sku") == ""
    assert "PMP-100, PMP-200" in body and "Choose the SKU" in body


def test_a_registration_in_another_currency_is_converted_at_the_approval_rate_or_left_empty(cast):
    with cast.a.context():
        registration = register(cast, "p1_user", "Euro GmbH", domain="euro.example", country="DE")
        registration.currency = "EUR"
        registration.save(update_fields=["currency"])
        approved = registration_approve(
            registration=registration,
            acting_membership=cast.a.memberships["manager"],
            discount_pct=Decimal("0"),
        )
    client = cast.a.client("manager")
    body = client.get(NEW, {"registration": approved.pk}).content.decode()
    assert _value(body, "lines-0-book_cost") == "" and "No exchange rate from EUR to USD" in body
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2020, 1, 1),
            rate=Decimal("1.10"),
            source="ECB",
        )
    body = client.get(NEW, {"registration": approved.pk}).content.decode()
    assert _value(body, "lines-0-book_cost") == "550.00"  # 1000 / 2 EUR at 1.10


def test_the_page_needs_the_same_number_of_queries_whatever_the_registrations(cast):
    approved = _approved(cast)
    client = cast.a.client("manager")
    client.get(NEW, {"registration": approved.pk})  # warm the session and caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(NEW, {"registration": approved.pk}).status_code == 200
        return len(queries)

    few = count()
    for n in range(8):
        _approved(cast, name=f"Customer {n} Ltd", lines=(("pumps", 1, "10.00"), ("valves", 2, "20.00")))
    assert count() == few
