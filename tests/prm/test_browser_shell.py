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


def test_on_a_phone_the_grouped_navigation_folds_behind_the_menu_button(
    cast, chromium_path, live_server, page
):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "acme", cast.a.users["manager"].email, totp_secret=TOTP_SECRET)
    sidebar = page.locator("[data-testid=sidebar]")
    assert not sidebar.is_visible()
    # The brand, the menu button and nothing else fit on one line of a phone's top bar.
    toggle = page.locator("[data-testid=menu-toggle]").bounding_box()
    brand = page.locator(".navbar-brand").bounding_box()
    assert toggle and brand and abs(toggle["y"] - brand["y"]) < brand["height"]

    page.click("[data-testid=menu-toggle]")
    sidebar.wait_for(state="visible")
    page.click("[data-testid=nav-area-deals] summary")
    page.click("[data-testid=nav-area-deals] a[href='/deals/review/']")
    page.wait_for_url("**/deals/review/")
    assert page.locator("[data-testid=nav-area-deals]").get_attribute("data-active") == "true"
    # A fresh page starts with the menu folded again.
    assert not page.locator("[data-testid=sidebar]").is_visible()


def test_on_a_desktop_the_sidebar_shows_the_areas_without_a_menu_button(
    cast, chromium_path, live_server, page
):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, "acme", cast.a.users["p1_user"].email)
    assert page.locator("[data-testid=sidebar]").is_visible()
    assert not page.locator("[data-testid=menu-toggle]").is_visible()
    page.click("[data-testid=nav-area-channel_data] summary")
    page.click("[data-testid=nav-area-channel_data] a[href='/pos/uploads/']")
    page.wait_for_url("**/pos/uploads/")
    assert page.locator("[data-testid=nav-area-channel_data]").get_attribute("data-active") == "true"
    assert page.locator("[data-testid=nav-area-finance]").count() == 0
