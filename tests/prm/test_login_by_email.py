"""Sign-in goes through allauth with the e-mail address as the login."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def test_partner_user_signs_in_with_email_and_password_and_lands_on_home(cast):
    client = cast.a.client()
    response = client.post("/accounts/login/", {"login": "P1_User@Acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == cast.a.users["p1_user"].pk
    home = client.get("/")
    assert home.status_code == 200
    assert home.context["membership"] == cast.a.memberships["p1_user"]


def test_wrong_password_does_not_sign_in(cast):
    client = cast.a.client()
    response = client.post("/accounts/login/", {"login": "p1_user@acme.test", "password": "wrong-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_vendor_admin_with_an_authenticator_is_asked_for_the_code_after_the_password(cast):
    client = cast.a.client()
    response = client.post("/accounts/login/", {"login": "admin@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session


def test_open_signup_is_closed(cast):
    response = cast.a.client().post(
        "/accounts/signup/", {"email": "stranger@example.test", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code in (200, 403)
    from prm.accounts.models import User

    assert not User.objects.filter(email="stranger@example.test").exists()


def test_signing_out_ends_the_session(cast):
    client = cast.a.client("p1_user")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
