"""The tenant's default language and time zone apply to every visitor; a person's choice wins."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from prm.audit.services import audit

pytestmark = pytest.mark.django_db

UTC_NOON_THIRTY = dt.datetime(2026, 1, 15, 12, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _globex_runs_in_german(cast):
    cast.b.tenant.default_language = "de"
    cast.b.tenant.save(update_fields=["default_language"])


def test_new_visitor_sees_the_globex_sign_in_page_in_german(cast):
    response = Client(HTTP_HOST="globex.localhost").get("/accounts/login/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "de"
    html = response.content.decode()
    assert '<html lang="de"' in html
    assert "Anmeldung" in html and "Passwort" in html


def test_browser_language_does_not_override_the_tenant_default(cast):
    response = Client(HTTP_HOST="globex.localhost", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/accounts/login/")
    assert response.headers["Content-Language"] == "de"


def test_acme_stays_english_for_a_german_browser(cast):
    response = Client(HTTP_HOST="acme.localhost", HTTP_ACCEPT_LANGUAGE="de-DE,de").get("/accounts/login/")
    assert response.headers["Content-Language"] == "en"
    assert "Sign In" in response.content.decode() or "Sign in" in response.content.decode()


def test_language_switcher_choice_overrides_the_tenant_default(cast):
    client = Client(HTTP_HOST="globex.localhost")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert client.get("/accounts/login/").headers["Content-Language"] == "en"


def test_signed_in_users_switcher_choice_is_saved_and_follows_them(cast):
    user = cast.b.users["p1_admin"]
    first_browser = cast.b.client("p1_admin")
    first_browser.post("/i18n/setlang/", {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    second_browser = cast.b.client("p1_admin")  # no language cookie
    assert second_browser.get("/").headers["Content-Language"] == "en"


def _audit_row_at_noon_thirty(side):
    with side.context(), time_machine.travel(UTC_NOON_THIRTY, tick=False):
        audit(actor=side.users["admin"], action="tenant.test", obj=side.tenant)


def test_times_show_in_the_tenants_time_zone(cast):
    cast.b.tenant.time_zone = "Europe/Berlin"
    cast.b.tenant.save(update_fields=["time_zone"])
    _audit_row_at_noon_thirty(cast.b)
    page = cast.b.client("admin").get("/audit/").content.decode()
    assert "15.01.2026 13:30" in page


def test_users_time_zone_and_language_override_the_tenants(cast):
    admin = cast.b.users["admin"]
    admin.time_zone, admin.language = "America/New_York", "en"
    admin.save(update_fields=["time_zone", "language"])
    _audit_row_at_noon_thirty(cast.b)
    page = cast.b.client("admin").get("/audit/").content.decode()
    assert "01/15/2026 7:30 a.m." in page


def test_preferences_page_saves_a_valid_choice_and_refuses_an_unknown_zone(cast):
    client = cast.a.client("p1_user")
    assert client.get("/preferences/").status_code == 200
    response = client.post("/preferences/", {"language": "de", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    user = cast.a.users["p1_user"]
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("de", "Asia/Tokyo")
    assert client.get("/").headers["Content-Language"] == "de"
    refused = client.post("/preferences/", {"language": "de", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 200
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"
