"""Browser journey: the channel manager defines a tiered program in the back office (tiers as a
table), activates and calculates it; the distributor opens its statement and drills down to the
lines; finance closes the period and the vendor admin approves it (maker-checker); the payables
appear."""

from __future__ import annotations

import pytest

from prm.roles import mfa_required
from tests.browser import login, portal_url
from tests.conftest import TOTP_SECRET
from tests.rebates.helpers import pos

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, cast, who: str) -> None:
    user = cast.a.users[who]
    secret = TOTP_SECRET if mfa_required(user, cast.a.memberships[who]) else None
    login(page, live_server, "acme", user.email, totp_secret=secret)


def test_manager_defines_and_runs_partner_drills_down_finance_closes_and_payables_appear(
    cast, chromium_path, live_server, page, browser
):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 80, "8000"), ("2026-02-15", 60, "6000")])

    manager = page
    _login(manager, live_server, cast, "manager")
    manager.goto(portal_url(live_server, "acme", "/rebates/programs/new/"))
    manager.fill("input[name=code]", "Q1-UNITS")
    manager.fill("input[name=name]", "Unit rebate Q1")
    manager.fill("input[name=currency]", "USD")
    manager.fill("input[name=start]", "2026-01-01")
    manager.fill("input[name=end]", "2026-03-31")
    manager.select_option("select[name=basis]", "quantity")
    manager.select_option("select[name=method]", "retroactive")
    for i, (start, rate) in enumerate([("0", "10"), ("100", "20")]):
        manager.fill(f"input[name=tiers-{i}-start]", start)
        manager.fill(f"input[name=tiers-{i}-rate]", rate)
    manager.click("[data-testid=program-form] button[type=submit]")
    manager.click("[data-testid=program-activate]")
    manager.click("[data-testid=program-calculate]")
    manager.wait_for_selector("[data-testid=job-progress][data-status=succeeded]", timeout=30_000)
    manager.reload()
    assert "2,800.00" in manager.inner_text("[data-testid=accrual-table]")  # 140 units x 20

    partner = browser.new_context().new_page()
    _login(partner, live_server, cast, "p1_admin")
    partner.goto(portal_url(live_server, "acme", "/rebates/"))
    partner.click("[data-testid=statement-table] a")
    assert partner.inner_text("[data-testid=earned]") == "$2,800.00"
    partner.click("[data-testid=statement-drilldown]")
    assert partner.locator("[data-testid=source-lines] tbody tr").count() == 2

    finance = browser.new_context().new_page()
    _login(finance, live_server, cast, "finance")
    finance.goto(manager.url.split("/rebates/")[0] + "/rebates/programs/")
    finance.click("[data-testid=program-table] a")
    finance.click("[data-testid=program-close]")
    assert finance.locator("[data-testid=closer-note]").is_visible()  # maker-checker
    assert finance.locator("[data-testid=settlement-approve]").count() == 0
    settlement_url = finance.url

    checker = browser.new_context().new_page()
    _login(checker, live_server, cast, "admin")
    checker.goto(settlement_url)
    checker.click("[data-testid=settlement-approve]")
    assert "PAY-" in checker.inner_text("[data-testid=settlement-lines]")

    partner.goto(portal_url(live_server, "acme", "/finance/payables/"))
    assert "2,800.00" in partner.content()
