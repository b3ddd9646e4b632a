"""The public application form: no sign-in, honeypot, rate limit, amend link."""

from __future__ import annotations

import pytest
from django.test import Client

from partners.models import PartnerApplication
from tests.partners import helpers

pytestmark = pytest.mark.django_db

POST = {
    "company": "Orbit Controls",
    "website": "orbit.test",
    "country": "us",
    "region": "West",
    "type": "reseller",
    "expertise": ["pumps"],
    "revenue_band": "1m-10m",
    "contact_name": "Pat",
    "contact_email": "Pat@Orbit.test",
}


def _count(cast) -> int:
    with cast.a.context():
        return PartnerApplication.objects.count()


def test_anonymous_visitor_applies_and_sees_the_thank_you_page(cast):
    client = Client(HTTP_HOST=cast.a.host)
    assert client.get("/partners/apply/").status_code == 200
    response = client.post("/partners/apply/", POST)
    assert response.status_code == 302 and response["Location"] == "/partners/apply/thanks/"
    with cast.a.context():
        app = PartnerApplication.objects.get()
        assert (app.country, app.domain, app.contact_email, app.expertise) == (
            "US",
            "orbit.test",
            "pat@orbit.test",
            ["pumps"],
        )


def test_honeypot_filled_by_a_bot_stores_nothing_but_looks_like_success(cast):
    response = Client(HTTP_HOST=cast.a.host).post("/partners/apply/", {**POST, "fax_number": "123"})
    assert response.status_code == 302
    assert _count(cast) == 0


def test_too_many_submissions_from_one_address_are_refused(cast, settings):
    settings.PRM_APPLICATION_RATE_LIMIT = 2
    client = Client(HTTP_HOST=cast.a.host, REMOTE_ADDR="198.51.100.77")
    for _ in range(2):
        assert client.post("/partners/apply/", POST).status_code == 302
    response = client.post("/partners/apply/", POST)
    assert response.status_code == 429
    assert _count(cast) == 2


def test_amend_link_works_once(cast):
    with cast.a.context():
        helpers.application(status="info_requested", amend_token="tok-123", info_request="Which regions?")
    client = Client(HTTP_HOST=cast.a.host)
    page = client.get("/partners/apply/amend/tok-123/")
    assert page.status_code == 200 and "Which regions?" in page.content.decode()
    assert client.post("/partners/apply/amend/tok-123/", {**POST, "region": "East"}).status_code == 302
    assert client.get("/partners/apply/amend/tok-123/").status_code == 404
    with cast.a.context():
        assert PartnerApplication.objects.get().region == "East"


def test_amend_token_of_another_tenant_answers_404(cast):
    with cast.a.context():
        helpers.application(status="info_requested", amend_token="tok-a")
    assert Client(HTTP_HOST=cast.b.host).get("/partners/apply/amend/tok-a/").status_code == 404
