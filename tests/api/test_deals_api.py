"""Deal registrations through the API: a partner key registers and submits for its partner; vendor
keys review and decide; every status change is the deals service's, audited under the key's name,
and checked against the key's role; partners never see each other's registrations."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from deals.models import DealRegistration
from partners.models import Partner
from prm.audit.models import AuditEvent
from tests.api.conftest import ApiClient, issue
from tests.deals.helpers import register

pytestmark = pytest.mark.django_db

NEW_DEAL = {
    "customer_name": "Initrode GmbH",
    "customer_domain": "https://www.initrode.example/",
    "country": "de",
    "address": "Hauptstraße 1, Berlin",
    "contact_name": "Kim Käufer",
    "contact_email": "kim@initrode.example",
    "currency": "eur",
    "expected_close_date": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
    "lines": [
        {"product_line": "pumps", "quantity": 3, "value": "1500.50"},
        {"product_line": "valves", "value": 99},
    ],
}


def _audit(cast, action: str, registration_id: int) -> AuditEvent:
    with cast.a.context():
        return AuditEvent.objects.select_related("actor").get(action=action, object_id=str(registration_id))


def test_a_partner_key_registers_and_submits_a_deal_for_its_partner(cast, keys):
    response = keys.client("p1").post_json("/api/v1/deals/", {**NEW_DEAL, "submit": True})
    assert response.status_code == 201
    deal = response.json()
    assert (deal["partner"], deal["status"], deal["country"], deal["currency"]) == (
        "D100",
        "submitted",
        "DE",
        "EUR",
    )
    assert deal["customer_domain"] == "initrode.example"
    assert deal["value"] == "1599.50"
    assert [(line["product_line"], line["value"]) for line in deal["lines"]] == [
        ("pumps", "1500.50"),
        ("valves", "99.00"),
    ]
    submitted = _audit(cast, "deal.submit", deal["id"])
    assert str(submitted.actor) == "API key: Northwind ERP"
    assert submitted.actor == keys.key("p1").service_user
    with cast.a.context():
        assert DealRegistration.objects.get(pk=deal["id"]).created_by == keys.key("p1").service_user


def test_a_draft_is_kept_until_submitted(cast, keys):
    client = keys.client("p1")
    deal = client.post_json("/api/v1/deals/", NEW_DEAL).json()
    assert deal["status"] == "draft"
    assert client.post_json(f"/api/v1/deals/{deal['id']}/submit/").json()["status"] == "submitted"


def test_a_refused_submission_keeps_nothing(cast, keys):
    """Create and submit run as one: a submission the rules refuse leaves no draft behind."""
    past = {**NEW_DEAL, "expected_close_date": "2000-01-01", "submit": True}
    response = keys.client("p1").post_json("/api/v1/deals/", past)
    assert response.status_code == 422
    assert "in the past" in response.json()["detail"]
    with cast.a.context():
        assert not DealRegistration.objects.exists()


def test_partners_see_only_their_own_registrations(cast, keys):
    with cast.a.context():
        own = register(cast, "p1_user")
        other = register(cast, "p2_user", "Umbrella Corp", domain="umbrella.example")
    client = keys.client("p1")
    assert [d["id"] for d in client.get("/api/v1/deals/").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/deals/{other.pk}/").status_code == 404
    assert client.post_json(f"/api/v1/deals/{other.pk}/lost/", {"reason": "x"}).status_code == 404
    with cast.a.context():
        assert DealRegistration.objects.get(pk=other.pk).status == DealRegistration.Status.SUBMITTED


def test_the_partner_learns_of_a_conflict_but_not_the_other_partner(cast, keys):
    with cast.a.context():
        register(cast, "p2_user", "Initrode GmbH", domain="initrode.example", country="DE")
    deal = keys.client("p1").post_json("/api/v1/deals/", {**NEW_DEAL, "submit": True}).json()
    assert deal["conflict_flag"] == "exact"
    assert "Contoso" not in str(deal) and "D200" not in str(deal)


def test_a_vendor_key_reviews_and_approves_through_the_service(cast, keys):
    with cast.a.context():
        registration = register(cast, "p1_user")
    client = keys.client("manager")
    assert (
        client.post_json(f"/api/v1/deals/{registration.pk}/start-review/").json()["status"] == "under_review"
    )
    approved = client.post_json(
        f"/api/v1/deals/{registration.pk}/approve/", {"protection_days": 30, "discount_pct": "7.5"}
    ).json()
    assert approved["status"] == "approved" and approved["discount_pct"] == "7.50"
    assert approved["protection_until"] == (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    event = _audit(cast, "deal.approve", registration.pk)
    assert str(event.actor) == "API key: CRM"
    assert event.before["status"] == "under_review" and event.after["status"] == "approved"


def test_reject_and_request_information(cast, keys):
    with cast.a.context():
        first = register(cast, "p1_user")
        second = register(cast, "p1_user", "Hooli Inc", domain="hooli.example")
    client = keys.client("vendor")
    rejected = client.post_json(
        f"/api/v1/deals/{first.pk}/reject/", {"code": "incomplete", "reason": "No budget"}
    )
    assert (rejected.json()["status"], rejected.json()["rejection_code"]) == ("rejected", "incomplete")
    asked = client.post_json(f"/api/v1/deals/{second.pk}/request-info/", {"message": "Which site?"})
    assert (asked.json()["status"], asked.json()["info_request"]) == ("info_requested", "Which site?")


def test_the_outcome_is_reported_by_the_partner(cast, keys):
    with cast.a.context():
        won = register(cast, "p1_user")
        lost = register(cast, "p1_user", "Hooli Inc", domain="hooli.example")
    for registration in (won, lost):
        assert keys.client("vendor").post_json(f"/api/v1/deals/{registration.pk}/approve/").status_code == 200
    client = keys.client("p1")
    today = timezone.localdate().isoformat()
    body = client.post_json(
        f"/api/v1/deals/{won.pk}/won/", {"closed_value": "2500", "closed_on": today}
    ).json()
    assert (body["status"], body["closed_value"], body["closed_on"]) == ("won", "2500.00", today)
    body = client.post_json(f"/api/v1/deals/{lost.pk}/lost/", {"reason": "Price"}).json()
    assert (body["status"], body["lost_reason"]) == ("lost", "Price")


@pytest.mark.parametrize(
    ("who", "action"), [("p1", "approve"), ("finance", "approve"), ("p1", "start-review")]
)
def test_a_role_that_may_not_decide_is_refused_and_nothing_changes(cast, keys, who, action):
    with cast.a.context():
        registration = register(cast, "p1_user")
    response = keys.client(who).post_json(f"/api/v1/deals/{registration.pk}/{action}/")
    assert response.status_code == 403
    with cast.a.context():
        assert DealRegistration.objects.get(pk=registration.pk).status == DealRegistration.Status.SUBMITTED
        assert not AuditEvent.objects.filter(action__in=["deal.approve", "deal.start_review"]).exists()


def test_a_read_only_key_cannot_write(cast, keys):
    reader = issue(cast.a, name="Reader", partner=cast.a.partners["p1"], scopes=["deals:read"])
    client = ApiClient(cast.a.host, reader.token)
    assert client.get("/api/v1/deals/").status_code == 200
    response = client.post_json("/api/v1/deals/", NEW_DEAL)
    assert response.status_code == 403 and "deals:write" in response.json()["detail"]


def test_filters_by_status_and_partner(cast, keys):
    with cast.a.context():
        draft = register(cast, "p1_user", submit=False)
        submitted = register(cast, "p2_user", "Umbrella Corp", domain="umbrella.example")
    client = keys.client("vendor")
    ids = lambda url: [d["id"] for d in client.get(url).json()["results"]]  # noqa: E731
    assert ids("/api/v1/deals/?status=draft") == [draft.pk]
    assert ids("/api/v1/deals/?partner=D200") == [submitted.pk]
    assert ids("/api/v1/deals/?status=draft&status=submitted") == [submitted.pk, draft.pk]


def test_a_suspended_partners_key_reads_its_history_but_registers_nothing(cast, keys):
    with cast.a.context():
        own = register(cast, "p1_user")
        Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(status=Partner.Status.SUSPENDED)
    client = keys.client("p1")
    assert [d["id"] for d in client.get("/api/v1/deals/").json()["results"]] == [own.pk]
    assert client.post_json("/api/v1/deals/", NEW_DEAL).status_code == 403
    with cast.a.context():
        assert DealRegistration.objects.count() == 1
