"""The host decides the tenant: tenant hosts serve that tenant's portal, unknown hosts answer 404."""

from __future__ import annotations

import pytest
from django.test import Client

from prm.tenancy.models import Domain

pytestmark = pytest.mark.django_db


def test_unknown_host_answers_404(cast):
    response = Client(HTTP_HOST="nobody.localhost").get("/")
    assert response.status_code == 404


def test_unknown_host_answers_404_even_on_the_login_page(cast):
    assert Client(HTTP_HOST="nobody.localhost").get("/accounts/login/").status_code == 404


def test_host_of_an_inactive_tenant_answers_404(cast):
    cast.a.tenant.is_active = False
    cast.a.tenant.save(update_fields=["is_active"])
    assert cast.a.client("p1_user").get("/").status_code == 404


def test_tenant_host_serves_that_tenants_portal(cast):
    response = cast.a.client("p1_user").get("/")
    assert response.status_code == 200
    assert response.context["tenant"] == cast.a.tenant
    assert b"Acme Industrial" in response.content
    assert b"Globex" not in response.content


def test_host_is_matched_case_insensitively_and_without_port(cast):
    client = Client(HTTP_HOST="ACME.localhost:8000")
    client.force_login(cast.a.users["p1_user"])
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["tenant"] == cast.a.tenant


def test_custom_domain_resolves_to_its_tenant(cast, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "partners.acme-corp.example"]
    Domain.objects.create(tenant=cast.a.tenant, host="Partners.Acme-Corp.example.", is_primary=False)
    client = Client(HTTP_HOST="partners.acme-corp.example")
    client.force_login(cast.a.users["p1_user"])
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["tenant"] == cast.a.tenant
    # The primary domain stays the default portal address.
    assert cast.a.tenant.primary_domain() == "acme.localhost"
