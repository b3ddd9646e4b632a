"""The bare base domain serves the platform operator's pages: the tenant list for superusers only."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import enrol_totp
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PLATFORM_HOST = "localhost"


def _client(user=None) -> Client:
    client = Client(HTTP_HOST=PLATFORM_HOST)
    if user is not None:
        client.force_login(user)
    return client


def test_anonymous_visitor_of_the_platform_is_sent_to_login(cast):
    response = _client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_superuser_operator_sees_every_tenant_and_its_portal_address(cast):
    operator = UserFactory(email="operator@prm.test", is_superuser=True, is_staff=True)
    enrol_totp(operator)
    response = _client(operator).get("/")
    assert response.status_code == 200
    assert [t.slug for t in response.context["tenants"]] == ["acme", "globex"]
    assert b"acme.localhost" in response.content
    assert b"globex.localhost" in response.content


def test_tenant_users_get_403_on_the_platform_tenant_list(cast):
    for who in ("admin", "p1_user"):
        response = _client(cast.a.users[who]).get("/")
        assert response.status_code == 403, who
        assert b"globex.localhost" not in response.content


def test_operator_without_an_authenticator_must_enrol_first(cast):
    operator = UserFactory(email="operator2@prm.test", is_superuser=True, is_staff=True)
    response = _client(operator).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_django_admin_is_served_on_the_platform_host_not_on_tenant_hosts(cast):
    operator = UserFactory(email="operator3@prm.test", is_superuser=True, is_staff=True)
    enrol_totp(operator)
    assert _client(operator).get("/admin/").status_code == 200
    assert cast.a.client("admin").get("/admin/").status_code == 404
