"""Every REST endpoint and method, with the wrong credentials: anonymous and another tenant's key
get 401, another tenant's key on its own host and another partner's key naming tenant A's (partner
P1's) objects get 404, and every answer is problem details, never a page.

A new API route without an entry in tests/api/sweep_entries.py (``api=True``) fails
tests/test_url_sweep.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prm.tenancy.context import tenant_context
from tests.api.conftest import ApiClient
from tests.sweep import all_entries

pytestmark = pytest.mark.django_db

API = sorted(name for name, entry in all_entries().items() if entry.api)


def _url(name: str, cast) -> str:
    entry = all_entries()[name]
    kwargs = {}
    if entry.kwargs is not None:
        with tenant_context(cast.a.tenant):
            kwargs = entry.kwargs(cast)
    return reverse(name, kwargs=kwargs)


def _send(client, method: str, url: str):
    return client.get(url) if method == "GET" else client.post_json(url, {})


def _is_problem(response, status: int) -> None:
    assert response.status_code == status, (response.request["PATH_INFO"], response.status_code)
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_the_sweep_covers_the_api():
    assert len(API) >= 10


@pytest.mark.parametrize("name", API)
def test_without_a_key_or_with_another_tenants_key_is_401(name, cast, keys):
    url = _url(name, cast)
    for method in all_entries()[name].methods:
        anonymous = _send(keys.client(None), method, url)
        _is_problem(anonymous, 401)
        assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'
        # Tenant B's key sent to tenant A's host is not a key there.
        foreign = _send(ApiClient(cast.a.host, keys.issued["b"].token), method, url)
        _is_problem(foreign, 401)


@pytest.mark.parametrize("name", [n for n in API if all_entries()[n].kwargs is not None])
def test_another_tenants_key_naming_a_tenant_a_object_gets_404(name, cast, keys):
    url = _url(name, cast)
    for method in all_entries()[name].methods:
        _is_problem(_send(keys.client("b"), method, url), 404)


@pytest.mark.parametrize("name", [n for n in API if all_entries()[n].partner_owned])
def test_another_partners_key_naming_partner_p1s_object_gets_404(name, cast, keys):
    url = _url(name, cast)
    for method in all_entries()[name].methods:
        _is_problem(_send(keys.client("p2"), method, url), 404)


@pytest.mark.parametrize("name", [n for n in API if all_entries()[n].kwargs is None])
def test_another_tenants_key_lists_nothing_of_tenant_a(name, cast, keys):
    response = keys.client("b").get(_url(name, cast))
    assert response.status_code == 200
    body = response.content.decode()
    for marker in ("Northwind", "Contoso", "D100", "PMP-100"):
        assert marker not in body, (name, marker)
