"""Browser journeys of the portal shell: sign in, see the role's home page, switch language, sign out."""

from __future__ import annotations

import pytest

from tests.browser import login, portal_url
from tests.conftest import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_signs_in_sees_home_switches_language_and_signs_out(cast, chromium_path, live_server, page):
    login(page, live_server, "acme", cast.a.users["p1_admin"].email)
    assert "Northwind Distribution" in page.inner_text("[data-testid=role-home]")
    assert page.locator("nav").get_by_text("Partner portal").is_visible()

    page.click("[data-testid=language-switcher] button[value=de]")
    page.wait_for_selector("html[lang=de]")
    assert page.locator("nav").get_by_text("Partnerportal").is_visible()

    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/accounts/login/**")


def test_vendor_admin_signs_in_with_totp_and_sees_back_office(cast, chromium_path, live_server, page):
    login(page, live_server, "acme", cast.a.users["admin"].email, totp_secret=TOTP_SECRET)
    assert page.locator("nav").get_by_text("Back office").is_visible()
    page.goto(portal_url(live_server, "acme", "/audit/"))
    assert page.locator("h1").inner_text() == "Audit log"
