"""A signed-in user without a membership in the host's tenant sees "no access" (403), never data."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/partners/", "/products/", "/jobs/", "/notifications/", "/people/"])
def test_member_of_another_tenant_gets_the_no_access_page_without_data(cast, path):
    client = cast.a.client()
    client.force_login(cast.b.users["p1_admin"])
    response = client.get(path)
    assert response.status_code == 403
    assert b'data-testid="no-access"' in response.content
    for leaked in (b"Northwind", b"Contoso", b"PMP-100", b"D100"):
        assert leaked not in response.content


def test_no_access_page_lists_the_users_other_portals(cast):
    client = cast.a.client()
    client.force_login(cast.b.users["p1_admin"])
    response = client.get("/")
    assert [m.tenant for m in response.context["other_memberships"]] == [cast.b.tenant]
    assert b"Globex Components" in response.content
    assert b"http://globex.localhost:8000/" in response.content


def test_no_access_page_has_no_portal_navigation(cast):
    client = cast.a.client()
    client.force_login(cast.b.users["admin"])
    response = client.get("/")
    assert response.status_code == 403
    assert response.context["nav"] == []
    assert response.context["membership"] is None
