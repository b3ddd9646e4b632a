"""Vendor admins, channel managers (they approve deals and import data) and finance must enrol an
authenticator (TOTP) before using the portal; others may."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache

from prm.roles import Role
from prm.tenancy.context import tenant_context
from tests.browser import totp_now
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"


def _member_without_totp(cast, role):
    user = UserFactory(email=f"fresh-{role}@acme.test")
    with tenant_context(cast.a.tenant):
        MembershipFactory(user=user, role=role)
    client = cast.a.client()
    client.force_login(user)
    return user, client


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE])
@pytest.mark.parametrize("path", ["/", "/jobs/", "/products/", "/notifications/"])
def test_vendor_admin_channel_manager_and_finance_without_totp_are_sent_to_enrolment(cast, role, path):
    _user, client = _member_without_totp(cast, role)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE])
def test_signed_in_user_can_enrol_and_then_use_the_portal(cast, role):
    cache.clear()
    user, _client = _member_without_totp(cast, role)
    client = cast.a.client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, follow=True)
    # Home -> enrolment -> allauth asks for the password again before adding an authenticator.
    assert [url for url, _status in response.redirect_chain][:2] == ["/", ACTIVATE]
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD, "next": ACTIVATE}, follow=True)
    assert response.redirect_chain[-1][0] == ACTIVATE
    assert response.status_code == 200
    secret = response.context["form"].secret
    response = client.post(ACTIVATE, {"code": totp_now(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE])
def test_sign_out_stays_reachable_before_enrolment(cast, role):
    _user, client = _member_without_totp(cast, role)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] != ACTIVATE
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.FINANCE])
def test_with_an_authenticator_they_use_the_portal(cast, role):
    user, client = _member_without_totp(cast, role)
    enrol_totp(user)
    assert client.get("/").status_code == 200
    assert client.get("/jobs/").status_code == 200


@pytest.mark.parametrize("who", ["marketing", "p1_admin", "p1_user"])
def test_other_roles_are_not_forced_to_enrol(cast, who):
    response = cast.a.client(who).get("/")
    assert response.status_code == 200


def test_the_requirement_follows_the_role_in_the_hosts_tenant(cast):
    # Vendor admin in globex, partner user in acme: on acme's host MFA is optional.
    user = UserFactory(email="dual@example.test")
    with tenant_context(cast.b.tenant):
        MembershipFactory(user=user, role=Role.VENDOR_ADMIN)
    with tenant_context(cast.a.tenant):
        MembershipFactory(user=user, role=Role.PARTNER_USER, partner=cast.a.partners["p1"])
    acme = cast.a.client()
    acme.force_login(user)
    assert acme.get("/").status_code == 200
    globex = cast.b.client()
    globex.force_login(user)
    assert globex.get("/")["Location"] == ACTIVATE
