"""Browser journey: a partner asks for co-sell help on its approved registration; the territory's
owner (a channel manager) adds a task; the partner sees it; the deal is won; the deal reports
show it as influenced by co-selling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.services.review import registration_approve
from partners.models import Territory
from partners.services.territories import territory_save
from tests.browser import login, portal_url
from tests.conftest import TOTP_SECRET
from tests.deals.helpers import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_out(page) -> None:
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/accounts/login/**")


def test_partner_and_vendor_owner_co_sell_a_deal_to_a_win(cast, chromium_path, live_server, page):
    with cast.a.context():
        territory_save(
            territory=Territory(name="Americas", precedence=10, countries=["US"]),
            acting_membership=cast.a.memberships["admin"],
            owners=[cast.a.memberships["manager"]],
        )
        registration = register(cast, "p1_admin", "Acme Water Inc.", domain="acmewater.com")
        registration_approve(registration=registration, acting_membership=cast.a.memberships["admin"])
    detail = portal_url(live_server, "acme", f"/deals/{registration.pk}/")

    login(page, live_server, "acme", cast.a.users["p1_admin"].email)
    page.goto(detail)
    page.select_option("[data-testid=cosell-request-form] select[name=kind]", "presales")
    page.fill(
        "[data-testid=cosell-request-form] input[name=message]", "We need a technical demo for the CTO."
    )
    page.click("[data-testid=cosell-request-form] button[type=submit]")
    page.wait_for_selector("[data-testid=cosell-request]")
    assert "Manager" in page.inner_text("[data-testid=cosell-assignee]")
    _sign_out(page)

    login(page, live_server, "acme", cast.a.users["manager"].email, totp_secret=TOTP_SECRET)
    page.goto(detail)
    assert "Americas" in page.inner_text("[data-testid=territory]")
    form = "[data-testid=cosell-entry-form]"
    page.select_option(f"{form} select[name=kind]", "task")
    page.fill(f"{form} input[name=text]", "Run the pump sizing workshop")
    page.fill(f"{form} input[name=due_on]", (timezone.localdate() + timedelta(days=3)).isoformat())
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("text=Run the pump sizing workshop")
    _sign_out(page)

    login(page, live_server, "acme", cast.a.users["p1_admin"].email)
    page.goto(detail)
    assert "Run the pump sizing workshop" in page.inner_text("[data-testid=cosell-timeline]")
    page.fill("input[name=closed_value]", str(Decimal("12000.00")))
    page.click("button:has-text('Won')")
    page.wait_for_selector("text=Congratulations")
    _sign_out(page)

    # The vendor admin reads the reports (a second TOTP sign-in of the manager within the same
    # 30 seconds would be refused as a replay).
    login(page, live_server, "acme", cast.a.users["admin"].email, totp_secret=TOTP_SECRET)
    page.goto(portal_url(live_server, "acme", "/deals/reports/"))
    table = page.inner_text("[data-testid=report-sources]")
    influenced = [line for line in table.splitlines() if "Influenced (co-sell)" in line]
    month = timezone.localdate().strftime("%Y-%m")
    assert any(month in line and ("12000.00" in line or "12,000.00" in line) for line in influenced), table
    assert "100.0" in page.inner_text("[data-testid=report-cosell]")
