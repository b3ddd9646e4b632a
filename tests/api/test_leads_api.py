"""Leads and direct opportunities through the API: vendor keys create and route leads and upsert
the CRM's opportunities by reference; partner keys accept (naming the colleague who works it) or
decline the leads offered to them; other partners and tenants see none of it."""

from __future__ import annotations

import pytest

from deals.models import DirectOpportunity, Lead, LeadAssignment
from partners.models import Partner
from prm.audit.models import AuditEvent
from tests.api.conftest import ApiClient
from tests.api.helpers import offered_lead

pytestmark = pytest.mark.django_db

OPPORTUNITY = {
    "customer_name": "Direct Co Ltd",
    "country": "us",
    "product_lines": ["pumps"],
    "value": "25000",
}


def test_a_vendor_key_creates_a_lead_and_it_is_routed(cast, keys):
    with cast.a.context():
        Partner.objects.filter(pk=cast.a.partners["p2"].pk).update(expertise=["valves"])
    response = keys.client("manager").post_json(
        "/api/v1/leads/",
        {"company": "Valve Buyer", "country": "US", "product_interest": "valves", "value": "10"},
    )
    assert response.status_code == 201
    lead = response.json()
    assert (lead["status"], lead["partner"], lead["value"]) == ("offered", "D200", "10.00")
    with cast.a.context():
        assert str(AuditEvent.objects.get(action="lead.create").actor) == "API key: CRM"


def test_a_lead_can_wait_in_the_vendor_queue_and_be_routed_later(cast, keys):
    client = keys.client("vendor")
    lead = client.post_json(
        "/api/v1/leads/",
        {
            "company": "Later Co",
            "country": "US",
            "postal_code": "94105",
            "industry": "Healthcare",
            "product_interest": "pumps",
            "route": False,
        },
    ).json()
    assert (lead["status"], lead["postal_code"], lead["industry"]) == ("new", "94105", "Healthcare")
    with cast.a.context():
        Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(expertise=["pumps"])
    routed = client.post_json(f"/api/v1/leads/{lead['id']}/route/").json()
    assert (routed["status"], routed["partner"]) == ("offered", "D100")


def test_partner_keys_cannot_create_or_route_leads(cast, keys):
    with cast.a.context():
        lead = offered_lead(cast)
    client = keys.client("p1")
    assert (
        client.post_json(
            "/api/v1/leads/", {"company": "X", "country": "US", "product_interest": "pumps"}
        ).status_code
        == 403
    )
    assert client.post_json(f"/api/v1/leads/{lead.pk}/route/").status_code == 403


def test_the_offered_partner_accepts_and_gets_a_draft_registration(cast, keys):
    with cast.a.context():
        lead = offered_lead(cast)
    client = keys.client("p1")
    assert [row["id"] for row in client.get("/api/v1/leads/").json()["results"]] == [lead.pk]
    response = client.post_json(f"/api/v1/leads/{lead.pk}/accept/", {"owner": cast.a.users["p1_user"].email})
    assert response.status_code == 201
    deal = response.json()
    assert (deal["status"], deal["customer_name"], deal["value"]) == ("draft", "Lead Co", "500.00")
    with cast.a.context():
        assert Lead.objects.get(pk=lead.pk).owner == cast.a.users["p1_user"]
        assert str(AuditEvent.objects.get(action="lead.accept").actor) == "API key: Northwind ERP"


@pytest.mark.parametrize("owner", ["p2_user", "nobody"])
def test_the_owner_must_be_a_colleague(cast, keys, owner):
    with cast.a.context():
        lead = offered_lead(cast)
    email = cast.a.users[owner].email if owner in cast.a.users else "nobody@example.test"
    response = keys.client("p1").post_json(f"/api/v1/leads/{lead.pk}/accept/", {"owner": email})
    assert response.status_code == 422
    assert response.json()["detail"] == "The owner must be a colleague at your company."
    with cast.a.context():
        assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OFFERED


def test_a_decline_passes_the_lead_on_and_out_of_sight(cast, keys):
    with cast.a.context():
        lead = offered_lead(cast)
    client = keys.client("p1")
    response = client.post_json(f"/api/v1/leads/{lead.pk}/decline/", {"reason": "No capacity"})
    assert response.json() == {"id": lead.pk, "declined": True}
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    with cast.a.context():
        offer = LeadAssignment.objects.get(lead=lead, partner=cast.a.partners["p1"])
        assert (offer.outcome, offer.decline_reason) == ("declined", "No capacity")


def test_another_partner_can_neither_see_nor_answer_the_offer(cast, keys):
    with cast.a.context():
        lead = offered_lead(cast)
    client = keys.client("p2")
    assert client.get("/api/v1/leads/").json()["results"] == []
    assert (
        client.post_json(
            f"/api/v1/leads/{lead.pk}/accept/", {"owner": cast.a.users["p2_user"].email}
        ).status_code
        == 404
    )
    assert client.post_json(f"/api/v1/leads/{lead.pk}/decline/", {"reason": "x"}).status_code == 404


def test_the_crm_upserts_its_opportunities_by_reference(cast, keys):
    client = keys.client("manager")
    created = client.put_json("/api/v1/opportunities/SF-0061/", OPPORTUNITY)
    assert created.status_code == 201
    assert (created.json()["reference"], created.json()["country"], created.json()["value"]) == (
        "SF-0061",
        "US",
        "25000.00",
    )
    again = client.put_json("/api/v1/opportunities/SF-0061/", OPPORTUNITY)
    assert again.status_code == 200
    won = client.put_json(
        "/api/v1/opportunities/SF-0061/", {**OPPORTUNITY, "status": "won", "value": "27000"}
    )
    assert (won.json()["status"], won.json()["value"]) == ("won", "27000.00")
    assert client.get("/api/v1/opportunities/SF-0061/").json()["status"] == "won"
    with cast.a.context():
        assert DirectOpportunity.objects.count() == 1
        actions = list(
            AuditEvent.objects.filter(object_type="deals.directopportunity").values_list("action", flat=True)
        )
    assert sorted(actions) == [
        "direct_opportunity.create",
        "direct_opportunity.update",
    ]  # the unchanged sync wrote nothing


def test_opportunities_are_the_vendors_own(cast, keys):
    keys.client("vendor").put_json("/api/v1/opportunities/SF-1/", OPPORTUNITY)
    assert keys.client("p1").get("/api/v1/opportunities/").status_code == 403
    assert keys.client("p1").put_json("/api/v1/opportunities/SF-1/", OPPORTUNITY).status_code == 403
    assert keys.client(None).put_json("/api/v1/opportunities/SF-1/", OPPORTUNITY).status_code == 401
    assert (
        ApiClient(cast.a.host, keys.issued["b"].token)
        .put_json("/api/v1/opportunities/SF-1/", OPPORTUNITY)
        .status_code
        == 401
    )
    other = keys.client("b")
    assert other.get("/api/v1/opportunities/SF-1/").status_code == 404
    assert (
        other.put_json("/api/v1/opportunities/SF-1/", OPPORTUNITY).status_code == 201
    )  # tenant B's own record
    with cast.a.context():
        assert DirectOpportunity.objects.get(reference="SF-1").customer_name == "Direct Co Ltd"
    with cast.b.context():
        assert DirectOpportunity.objects.filter(reference="SF-1").count() == 1


def test_an_opportunity_without_product_lines_is_400(keys):
    response = keys.client("vendor").put_json(
        "/api/v1/opportunities/SF-2/", {**OPPORTUNITY, "product_lines": []}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/product_lines"
