"""One tenant's pages cannot post into another tenant's portal, and X-Forwarded-Proto counts only
when the configured TLS proxy sends it."""

from __future__ import annotations

import pytest
from django.test import Client

from prm.accounts.models import Invitation

pytestmark = pytest.mark.django_db


def _csrf_client(side) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True, HTTP_HOST=side.host)
    client.force_login(side.users["admin"])
    client.get("/people/")
    return client, client.cookies["csrftoken"].value


def _invite(client: Client, token: str, **headers: str):
    return client.post(
        "/people/invite/",
        {"email": "origin@example.test", "role": "finance", "csrfmiddlewaretoken": token},
        **headers,
    )


def test_a_post_from_another_tenants_origin_is_refused(cast):
    client, token = _csrf_client(cast.a)
    for origin in ("http://globex.localhost:8000", "http://globex.localhost", "https://globex.localhost"):
        assert _invite(client, token, HTTP_ORIGIN=origin).status_code == 403, origin
    with cast.a.context():
        assert not Invitation.objects.filter(email="origin@example.test").exists()


def test_a_post_from_the_portals_own_origin_is_accepted(cast):
    client, token = _csrf_client(cast.a)
    assert _invite(client, token, HTTP_ORIGIN="http://acme.localhost").status_code == 302


@pytest.fixture
def behind_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.PRM_TRUSTED_PROXIES = ["10.0.0.0/8"]


def test_forwarded_proto_from_a_direct_client_is_ignored(cast, behind_proxy):
    response = Client(HTTP_HOST=cast.a.host).get(
        "/accounts/login/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 301
    assert response["Location"].startswith("https://acme.localhost/")


def test_forwarded_proto_from_the_trusted_proxy_counts(cast, behind_proxy):
    response = Client(HTTP_HOST=cast.a.host).get(
        "/accounts/login/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
