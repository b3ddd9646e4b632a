"""Browser journey: a distributor uploads a claim file, follows the validation's progress bar
and sees the verdicts; the channel manager overrides one line and approves; the distributor sees
the approved amount and the payable."""

from __future__ import annotations

import pytest

from prm.roles import mfa_required
from tests.browser import login, portal_url
from tests.claims.helpers import agreement
from tests.conftest import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLAIM = (
    "Northwind – ship and debit claim\n"
    "SPA No;Invoice #;Line;Ship Date;Part #;Qty;UOM;End User;Debit per unit;Resale\n"
    "SPA-1;INV-1;1;2026-06-01;PMP-100;3;EA;Globex Water Utility;20,00;\n"
    "SPA-1;INV-1;2;2026-06-02;PMP-100;2;EA;Globex Water (subsidiary);20,00;\n"
    "SPA-1;INV-1;3;2026-06-03;PMP-100;1;EA;Globex Water Utility;25,00;\n"
)


def _login(page, live_server, cast, who: str) -> None:
    user = cast.a.users[who]
    secret = TOTP_SECRET if mfa_required(user, cast.a.memberships[who]) else None
    login(page, live_server, "acme", user.email, totp_secret=secret)


def test_distributor_uploads_manager_overrides_and_approves_distributor_sees_the_payable(
    cast, chromium_path, live_server, page, tmp_path, browser
):
    with cast.a.context():
        agreement(cast)
    path = tmp_path / "claim.csv"
    path.write_bytes(CLAIM.encode("cp1252"))

    _login(page, live_server, cast, "p1_admin")
    page.goto(portal_url(live_server, "acme", "/claims/new/"))
    page.fill("input[name=number]", "DM-JOURNEY")
    page.fill("input[name=claim_date]", "2026-06-30")
    page.set_input_files("input[name=file]", str(path))
    page.click("[data-testid=claim-submit]")
    page.wait_for_selector("[data-testid=job-progress][data-status=succeeded]", timeout=30_000)
    page.reload()
    page.wait_for_selector("[data-testid=claim-lines]")
    assert page.get_attribute("[data-testid=claim-line-1]", "data-status") == "accepted"
    assert page.get_attribute("[data-testid=claim-line-2]", "data-status") == "rejected"
    assert "END_CUSTOMER_MISMATCH" in page.inner_text("[data-testid=claim-line-2]")
    assert page.get_attribute("[data-testid=claim-line-3]", "data-status") == "adjusted"
    claim_url = page.url

    manager = browser.new_context().new_page()
    _login(manager, live_server, cast, "manager")
    manager.goto(claim_url)
    manager.click("[data-testid=claim-line-2] summary")
    manager.fill("[data-testid=claim-line-2] input[name=reason]", "Subsidiary of the agreement's customer")
    manager.click("[data-testid=override-2]")
    manager.wait_for_selector("[data-testid=claim-line-2][data-status=accepted]")
    manager.click("[data-testid=claim-approve]")
    manager.wait_for_selector("[data-testid=claim-payable]")

    page.goto(claim_url)
    assert "Approved" in page.inner_text("[data-testid=claim-status]")
    assert page.inner_text("[data-testid=approved-total]") == "$120.00"
    page.click("[data-testid=claim-payable]")
    page.wait_for_load_state()
    assert "120.00" in page.content()
