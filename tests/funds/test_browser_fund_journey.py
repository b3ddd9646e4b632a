"""Browser journey: a partner requests funds; the channel manager approves above their level,
the marketing manager approves (two levels); after the activity the partner files a claim with
proof; the marketing manager approves it; the partner's balance and the payable follow."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from funds.models import FundClaim, FundRequest
from prm.finance.models import Payable
from prm.roles import mfa_required
from tests.browser import login, portal_url
from tests.conftest import TOTP_SECRET
from tests.funds.helpers import CSV, JPEG, PDF, allocate, days, fund, period, tiers, travel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, cast, who: str) -> None:
    user = cast.a.users[who]
    secret = TOTP_SECRET if mfa_required(user, cast.a.memberships[who]) else None
    login(page, live_server, "acme", user.email, totp_secret=secret)


def test_request_two_level_approval_claim_with_proof_approval_balance_and_payable(
    cast, chromium_path, live_server, page, browser, tmp_path, monkeypatch
):
    with cast.a.context():
        tiers(cast)
        f = fund(cast)
        allocate(cast, period(cast, f, end=days(200)), "20000.00")
    start = days(20)

    _login(page, live_server, cast, "p1_admin")
    page.goto(portal_url(live_server, "acme", "/funds/requests/new/"))
    page.select_option("select[name=fund]", str(f.pk))
    page.select_option("select[name=activity_type]", "event")
    page.fill("input[name=title]", "Pump roadshow")
    page.fill("input[name=start_date]", start.isoformat())
    page.fill("input[name=end_date]", start.isoformat())
    page.fill("input[name=estimated_cost]", "16000.00")
    page.fill("input[name=requested_amount]", "8000.00")
    page.click("[data-testid=request-submit]")
    page.wait_for_selector("[data-testid=request-status]")
    request_url = page.url
    assert "Channel manager" in page.inner_text("[data-testid=waiting-for]")

    manager = browser.new_context().new_page()
    _login(manager, live_server, cast, "manager")
    manager.goto(request_url)
    manager.click("[data-testid=decide]")
    manager.wait_for_selector("[data-testid=waiting-for]")
    assert "Marketing manager" in manager.inner_text("[data-testid=waiting-for]")

    marketing = browser.new_context().new_page()
    _login(marketing, live_server, cast, "marketing")
    marketing.goto(portal_url(live_server, "acme", "/funds/requests/?mine=1"))
    marketing.click("[data-testid=request-table] a")
    marketing.click("[data-testid=decide]")
    marketing.wait_for_selector("[data-testid=approved-amount]")
    assert "Approved" in marketing.inner_text("[data-testid=request-status]")

    travel(monkeypatch, start + datetime.timedelta(days=2))  # the activity is over
    page.goto(request_url)
    page.click("[data-testid=claim-new]")
    page.fill("input[name=actual_cost]", "15000.00")
    page.fill("input[name=leads]", "14")
    page.click("[data-testid=claim-create]")
    page.wait_for_selector("[data-testid=missing-proof]")
    claim_url = page.url
    for requirement, name, content in (
        ("invoice", "invoice.pdf", PDF),
        ("photo", "booth.jpg", JPEG),
        ("attendees", "list.csv", CSV),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        page.select_option("select[name=requirement]", requirement)
        page.set_input_files("input[name=file]", str(path))
        page.click("[data-testid=proof-upload]")
        page.wait_for_selector("[data-testid=proofs]")
    assert page.locator("[data-testid=missing-proof]").count() == 0
    page.click("[data-testid=fund-claim-submit]")
    page.wait_for_selector("[data-testid=fund-claim-status]")
    assert "Submitted" in page.inner_text("[data-testid=fund-claim-status]")

    marketing.goto(claim_url)
    assert "7,500.00" in marketing.inner_text("[data-testid=formula]")
    marketing.click("[data-testid=review]")
    marketing.wait_for_selector("[data-testid=fund-claim-payable]")

    page.goto(portal_url(live_server, "acme", "/funds/"))
    assert "12,500.00" in page.inner_text(f"[data-testid=balance-{f.code}] [data-testid=available]")
    with cast.a.context():
        claim = FundClaim.objects.get()
        assert (claim.status, claim.reimbursement) == ("approved", Decimal("7500.00"))
        assert Payable.objects.get(source_type="fund_claim").amount == Decimal("7500.00")
        assert FundRequest.objects.get().status == "completed"
