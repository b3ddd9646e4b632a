"""Pages by role: partner list and form, conflict notice without the other partner's identity,
reviewer side-by-side page and decisions, pipeline filters, export, dashboard, leads; lists run a
constant number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import DealAttachment, DealRegistration, Lead
from deals.services.review import registration_approve
from partners.models import Partner
from tests.deals.helpers import register

pytestmark = pytest.mark.django_db


def _many(cast, n: int, start: int = 0) -> None:
    with cast.a.context():
        for i in range(start, start + n):
            register(cast, "p1_user" if i % 2 else "p2_user", f"Customer {i}", domain=f"c{i}.test")


def test_partner_sees_only_own_registrations_with_protection_days(cast):
    with cast.a.context():
        mine = register(cast, "p1_user", "Mine Inc", domain="mine.test")
        registration_approve(
            registration=mine, acting_membership=cast.a.memberships["manager"], protection_days=45
        )
        register(cast, "p2_user", "Theirs Inc", domain="theirs.test")
    body = cast.a.client("p1_user").get(reverse("deals:list")).content.decode()
    assert "Mine Inc" in body and "Theirs Inc" not in body
    assert "45 days left" in body


def test_partner_sees_conflict_notice_but_never_the_other_partner(cast):
    with cast.a.context():
        register(cast, "p1_user", "Acme Inc.", domain="acme.com")
        second = register(cast, "p2_user", "ACME Incorporated", domain="acme.com")
    body = cast.a.client("p2_user").get(reverse("deals:detail", args=[second.pk])).content.decode()
    assert 'data-testid="conflict-notice"' in body
    assert (
        "Northwind" not in body
        and "D100" not in body
        and "pat@customer.test" not in body.replace(second.contact_email, "")
    )
    assert cast.a.client("p2_user").get(reverse("deals:review", args=[second.pk])).status_code == 403


def test_reviewer_sees_both_sides_and_the_rule(cast):
    with cast.a.context():
        first = register(cast, "p1_user", "Acme Inc.", domain="acme.com")
        second = register(cast, "p2_user", "ACME Incorporated", domain="acme.com")
    body = cast.a.client("manager").get(reverse("deals:review", args=[second.pk])).content.decode()
    assert first.reference in body and "Northwind Distribution" in body and "Contoso Supply" in body
    assert "Same name and domain, same country" in body


def test_manager_approves_through_the_page(cast):
    with cast.a.context():
        registration = register(cast)
    response = cast.a.client("manager").post(
        reverse("deals:approve", args=[registration.pk]),
        {"protection_days": "60", "discount_pct": "5", "note": ""},
    )
    assert response.status_code == 302
    with cast.a.context():
        registration.refresh_from_db()
        assert registration.status == DealRegistration.Status.APPROVED
        assert registration.protection_until == timezone.localdate() + timedelta(days=60)


def test_refused_approval_is_a_message_not_an_error(cast):
    with cast.a.context():
        register(cast, "p1_user")
        second = register(cast, "p2_user")
    response = cast.a.client("manager").post(
        reverse("deals:approve", args=[second.pk]),
        {"protection_days": "60", "discount_pct": "5"},
        follow=True,
    )
    assert response.status_code == 200
    assert "came first" in response.content.decode()


def test_partner_registers_and_submits_through_the_form(cast):
    client = cast.a.client("p1_user")
    data = {
        "customer_name": "Formco GmbH",
        "customer_domain": "formco.de",
        "country": "de",
        "address": "Weg 1",
        "contact_name": "Ute",
        "contact_email": "ute@formco.de",
        "currency": "USD",
        "expected_close_date": (timezone.localdate() + timedelta(days=20)).isoformat(),
        "deal_type": "new",
        "competitors": "",
        "notes": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product_line": "pumps",
        "lines-0-quantity": "3",
        "lines-0-value": "4500",
        "lines-1-product_line": "",
        "lines-1-quantity": "1",
        "lines-1-value": "",
        "action": "submit",
    }
    response = client.post(reverse("deals:new"), data)
    assert response.status_code == 302
    with cast.a.context():
        registration = DealRegistration.objects.get(customer_name="Formco GmbH")
        assert registration.status == DealRegistration.Status.SUBMITTED
        assert registration.country == "DE"
        assert registration.product_lines == ["pumps"]


def test_autosave_and_customer_lookup(cast):
    with cast.a.context():
        register(cast, "p1_user", "Lookup Industries", domain="lookup.test")
        draft = register(cast, "p1_user", "", domain="", submit=False)
    client = cast.a.client("p1_user")
    response = client.post(
        reverse("deals:autosave", args=[draft.pk]),
        {
            "customer_name": "Typed Co",
            "currency": "USD",
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "Draft saved" in response.content.decode()
    with cast.a.context():
        draft.refresh_from_db()
        assert draft.customer_name == "Typed Co"
    suggestions = client.get(reverse("deals:customer_lookup"), {"customer_name": "looku"}).content.decode()
    assert "Lookup Industries" in suggestions
    assert (
        "Lookup Industries"
        not in cast.a.client("p2_user")
        .get(reverse("deals:customer_lookup"), {"customer_name": "looku"})
        .content.decode()
    )


def test_attachment_upload_and_permission_checked_download(cast):
    with cast.a.context():
        registration = register(cast)
    client = cast.a.client("p1_user")
    client.post(
        reverse("deals:attachment_upload", args=[registration.pk]),
        {"file": SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")},
    )
    with cast.a.context():
        attachment = DealAttachment.objects.get(registration=registration)
    url = reverse("deals:attachment_download", args=[registration.pk, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 quote"
    assert cast.a.client("p2_user").get(url).status_code == 404


@pytest.mark.parametrize("who", ["manager", "p1_user"])
def test_registration_list_runs_constant_queries(cast, who, django_assert_max_num_queries):
    client = cast.a.client(who)
    _many(cast, 3)
    client.get(reverse("deals:list"))  # warm caches (session, settings)
    with django_assert_max_num_queries(14) as small:
        assert client.get(reverse("deals:list")).status_code == 200
    _many(cast, 20, start=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("deals:list")).status_code == 200


def _measure(client, url: str) -> tuple[int, str]:
    """(queries run, body) of a page that must render."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response.content.decode()


def _leads(cast, n: int, start: int = 0) -> None:
    with cast.a.context():
        for i in range(start, start + n):
            Lead.objects.create(
                company=f"Queue Lead {i}",
                country="US",
                product_interest="pumps",
                currency="USD",
                partner=cast.a.partners["p1"] if i % 2 else None,
            )


def _listed(body: str, pattern: str) -> list[str]:
    return re.findall(pattern, body)


def _queue_and_leads_queries(client, *, registrations: int, leads: int) -> dict[str, int]:
    """Queries run by the review queue and the leads page, each checked to list all its rows."""
    queue_queries, body = _measure(client, reverse("deals:review_queue"))
    assert sorted(map(int, _listed(body, r">Customer (\d+)[ <]"))) == list(range(registrations))
    assert len(_listed(body, r">DR-\d{6}</a>")) == registrations
    lead_queries, body = _measure(client, reverse("deals:leads"))
    assert sorted(map(int, _listed(body, r">Queue Lead (\d+)</a>"))) == list(range(leads))
    return {"review_queue": queue_queries, "leads": lead_queries}


def test_review_queue_and_leads_run_constant_queries(cast):
    client = cast.a.client("manager")
    _many(cast, 2)
    _leads(cast, 1)
    client.get(reverse("deals:review_queue"))  # warm caches (session, settings)
    small = _queue_and_leads_queries(client, registrations=2, leads=1)
    _many(cast, 12, start=2)
    _leads(cast, 10, start=1)
    large = _queue_and_leads_queries(client, registrations=14, leads=11)
    assert large == small
    assert max(small.values()) <= 30


def test_pipeline_filters_and_export(cast):
    with cast.a.context():
        register(cast, "p1_user", "Alpha", domain="alpha.test", lines=(("pumps", 1, "100"),))
        register(cast, "p2_user", "Beta", domain="beta.test", lines=(("pumps", 1, "90000"),))
        Partner.objects.filter(pk=cast.a.partners["p2"].pk).update(region="East")
    client = cast.a.client("manager")
    body = client.get(reverse("deals:list"), {"value_min": "1000"}).content.decode()
    assert "Beta" in body and "Alpha" not in body
    body = client.get(reverse("deals:list"), {"region": "East"}).content.decode()
    assert "Beta" in body and "Alpha" not in body
    response = client.get(reverse("deals:list"), {"export": "csv"})
    content = b"".join(response.streaming_content).decode()
    assert "reference,partner_code" in content and "Alpha" in content and "Beta" in content
    assert client.get(reverse("deals:list"), {"export": "xlsx"}).status_code == 200
    # partners cannot export the pipeline: they get their own list
    assert (
        "text/html" in cast.a.client("p1_user").get(reverse("deals:list"), {"export": "csv"})["Content-Type"]
    )


def test_dashboard_shows_figures(cast):
    with cast.a.context():
        registration = register(cast)
        registration_approve(registration=registration, acting_membership=cast.a.memberships["manager"])
    response = cast.a.client("manager").get(reverse("deals:dashboard"))
    assert response.status_code == 200
    assert 'id="deals-dashboard-data"' in response.content.decode()
    assert cast.a.client("p1_user").get(reverse("deals:dashboard")).status_code == 403
    assert cast.a.client("finance").get(reverse("deals:dashboard")).status_code == 403


def test_home_panel_for_partner_and_manager(cast):
    with cast.a.context():
        register(cast)
    assert 'data-testid="deals-panel"' in cast.a.client("p1_user").get("/").content.decode()
    assert 'data-testid="deals-panel"' in cast.a.client("manager").get("/").content.decode()
