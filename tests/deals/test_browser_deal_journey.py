"""Browser journey: a partner registers a deal; a second partner registers the same customer and
sees a conflict notice; the manager reviews both and approves the first; the first partner sees
its days of protection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import login, portal_url
from tests.conftest import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _register(page, live_server, name: str, domain: str) -> None:
    page.goto(portal_url(live_server, "acme", "/deals/"))
    page.click("[data-testid=register-deal]")
    page.fill("input[name=customer_name]", name)
    page.fill("input[name=customer_domain]", domain)
    page.fill("input[name=country]", "US")
    page.fill("input[name=address]", "1 Main Street, Springfield")
    page.fill("input[name=contact_name]", "Pat Buyer")
    page.fill("input[name=contact_email]", "pat@acme.example")
    page.fill("input[name=expected_close_date]", (timezone.localdate() + timedelta(days=30)).isoformat())
    page.select_option("select[name=lines-0-product_line]", "pumps")
    page.fill("input[name=lines-0-quantity]", "4")
    page.fill("input[name=lines-0-value]", "12000")
    page.click("[data-testid=submit]")
    page.wait_for_selector("h1 .status-badge")


def _sign_out(page) -> None:
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/accounts/login/**")


def test_conflicting_registrations_are_reviewed_and_the_first_is_protected(
    cast, chromium_path, live_server, page
):
    login(page, live_server, "acme", cast.a.users["p1_admin"].email)
    _register(page, live_server, "Acme Water Inc.", "acmewater.com")
    assert page.locator("[data-testid=conflict-notice]").count() == 0
    _sign_out(page)

    login(page, live_server, "acme", cast.a.users["p2_admin"].email)
    _register(page, live_server, "ACME WATER, Incorporated", "www.acmewater.com")
    notice = page.inner_text("[data-testid=conflict-notice]")
    assert "Conflict" in notice
    assert "Northwind" not in page.content()
    _sign_out(page)

    login(page, live_server, "acme", cast.a.users["manager"].email, totp_secret=TOTP_SECRET)
    page.goto(portal_url(live_server, "acme", "/deals/review/"))
    rows = page.locator("[data-testid=review-queue] tbody tr")
    assert rows.count() == 2
    # The later registration shows the earlier one side by side with the rule that matched.
    page.locator("[data-testid=review-queue] a", has_text="DR-").last.click()
    page.wait_for_selector("[data-testid=conflict]")
    assert "Northwind Distribution" in page.inner_text("[data-testid=conflict]")
    assert "Same name and domain" in page.inner_text("[data-testid=conflict-rule]")
    page.fill("[data-testid=reject-form] textarea[name=reason]", "Northwind registered this customer first.")
    page.select_option("[data-testid=reject-form] select[name=code]", "conflict")
    page.click("[data-testid=reject]")
    page.wait_for_url("**/deals/review/")
    page.locator("[data-testid=review-queue] a", has_text="DR-").first.click()
    page.wait_for_selector("[data-testid=approve-form]")
    assert page.locator("[data-testid=no-conflicts]").count() == 1
    page.click("[data-testid=approve]")
    page.wait_for_url("**/deals/review/")
    _sign_out(page)

    login(page, live_server, "acme", cast.a.users["p1_admin"].email)
    page.goto(portal_url(live_server, "acme", "/deals/"))
    assert "90 days left" in page.inner_text("[data-testid=protection-days]")
