"""The account pages (allauth) look like the portal: the tenant's name, colours and logo, no
invitation to sign up (sign-up is closed: accounts come from invitations)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from prm.tenancy.models import Tenant
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGN_UP = re.compile(r"sign[\s-]?up", re.I)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_sign_in_page_has_no_sign_up_invitation_and_carries_the_tenants_branding(cast):
    Tenant.objects.filter(pk=cast.a.tenant.pk).update(display_name="Acme Partner Network")
    html = _page(cast.a.client(), "/accounts/login/")
    assert not SIGN_UP.search(html)
    assert 'href="/accounts/signup/"' not in html
    assert 'href="/brand.css?v=' in html  # the tenant's colours
    brand = re.search(r'data-testid="auth-brand".*?</div>\s*</div>', html, re.S)
    assert brand and "Acme Partner Network" in brand.group(0)
    assert "Access to the Acme Partner Network portal is by invitation." in html
    # The form the portal and the browser journeys rely on: e-mail, password, reset link.
    assert 'name="login"' in html and 'name="password"' in html
    assert 'href="/accounts/password/reset/"' in html


def test_sign_in_page_shows_the_tenants_logo_when_it_has_one(cast):
    Tenant.objects.filter(pk=cast.a.tenant.pk).update(logo="tenants/logo.png")
    html = _page(cast.a.client(), "/accounts/login/")
    assert re.search(r'<img src="/brand/logo/\?v=\w+" alt="" class="auth-logo">', html)
    assert "/brand/logo/" not in _page(cast.b.client(), "/accounts/login/")


def test_each_tenant_sees_its_own_name_on_its_sign_in_page(cast):
    assert "Globex Components" in _page(cast.b.client(), "/accounts/login/")
    assert "Acme Industrial" not in _page(cast.b.client(), "/accounts/login/")


@pytest.mark.parametrize("path", ["/accounts/password/reset/", "/accounts/signup/"])
def test_other_entrance_pages_use_the_branded_card_without_sign_up(cast, path):
    html = _page(cast.a.client(), path)
    assert 'data-testid="auth-brand"' in html and "Acme Industrial" in html
    assert not re.search(r"please\s+<a[^>]*>sign up", html, re.I)
    assert 'href="/accounts/signup/"' not in html


def test_the_closed_sign_up_page_says_accounts_come_from_invitations(cast):
    html = _page(cast.a.client(), "/accounts/signup/")
    assert "Accounts here are created from invitations only" in html


def test_second_factor_page_is_branded(cast):
    client = cast.a.client()
    response = client.post("/accounts/login/", {"login": "admin@acme.test", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    html = _page(client, "/accounts/2fa/authenticate/")
    assert 'data-testid="auth-brand"' in html and "Acme Industrial" in html
    assert 'name="code"' in html and 'class="form-control' in html


def test_wrong_password_is_shown_in_the_card(cast):
    response = cast.a.client().post("/accounts/login/", {"login": "p1_user@acme.test", "password": "nope"})
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    assert "not correct" in html


def test_signed_in_account_pages_keep_the_portal_navigation(cast):
    html = _page(cast.a.client("p1_admin"), "/accounts/2fa/")
    assert 'data-testid="sidebar"' in html and 'data-testid="account-page"' in html
    assert 'class="card mb-3"' in html  # allauth's panels as cards


def test_platform_sign_in_page_names_the_platform_not_a_tenant(cast):
    html = _page(Client(HTTP_HOST="localhost"), "/accounts/login/")
    assert "PRM platform" in html and "Platform administration" in html
    assert "/brand.css" not in html
    assert not SIGN_UP.search(html)


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/", "/accounts/2fa/"]
)
def test_account_pages_have_no_inline_styles_or_scripts(cast, path):
    html = _page(cast.a.client("p1_admin" if path == "/accounts/2fa/" else None), path)
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_a_failed_sign_in_does_not_echo_the_password_into_the_page(cast):
    response = cast.a.client().post(
        "/accounts/login/", {"login": "p1_user@acme.test", "password": "Secret-Typo-123"}
    )
    html = response.content.decode()
    assert "Secret-Typo-123" not in html
    assert 'value="p1_user@acme.test"' in html  # the e-mail stays filled in


def test_remember_me_is_a_real_checkbox(cast):
    html = _page(cast.a.client(), "/accounts/login/")
    box = re.search(r'<input class="form-check-input"[^>]*name="remember"[^>]*>', html, re.S)
    assert box and 'value="False"' not in box.group(0) and "checked" not in box.group(0)
