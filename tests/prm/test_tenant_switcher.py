"""The header's tenant switcher lists the user's memberships across tenants, and only those."""

from __future__ import annotations

import pytest

from prm.roles import Role
from prm.tenancy.context import tenant_context
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_switcher_lists_the_users_portals_in_every_tenant(cast):
    with tenant_context(cast.b.tenant):
        MembershipFactory(user=cast.a.users["manager"], role=Role.CHANNEL_MANAGER)
    response = cast.a.client("manager").get("/switch/")
    assert response.status_code == 200
    listed = [(m.tenant.slug, m.role) for m in response.context["memberships"]]
    assert listed == [("acme", "channel_manager"), ("globex", "channel_manager")]
    assert b"http://acme.localhost:8000/" in response.content
    assert b"http://globex.localhost:8000/" in response.content


def test_switcher_does_not_show_other_peoples_memberships_or_inactive_tenants(cast):
    with tenant_context(cast.b.tenant):
        MembershipFactory(user=cast.a.users["manager"], role=Role.CHANNEL_MANAGER)
    cast.b.tenant.is_active = False
    cast.b.tenant.save(update_fields=["is_active"])
    response = cast.a.client("manager").get("/switch/")
    assert [m.tenant.slug for m in response.context["memberships"]] == ["acme"]
    response = cast.a.client("p1_user").get("/switch/")
    assert [m.user for m in response.context["memberships"]] == [cast.a.users["p1_user"]]


def test_switcher_requires_sign_in(cast):
    response = cast.a.client().get("/switch/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_header_offers_the_switcher(cast):
    response = cast.a.client("p1_user").get("/")
    assert b'href="/switch/"' in response.content
