"""Real-browser journey of a payout: finance builds a batch, a second finance user approves and
exports it, the payment file downloads, the payment is marked paid, and the partner downloads the
remittance statement."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from prm.finance.models import PayoutBatch
from tests.browser import login, portal_url
from tests.conftest import TOTP_SECRET
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logout(page):
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/accounts/login/**")


def test_build_approve_export_pay_and_the_partner_downloads_the_statement(
    cast,
    chromium_path,
    live_server,
    page,
    fake_source,  # noqa: F811
):
    payout_details(cast.a, "p1")
    make_payable(cast.a, source_id="CL-900/1", amount="1250.00")
    make_payable(cast.a, source_id="CL-900/2", amount="-250.00")
    second_finance(cast.a)

    # 1. Finance builds the batch and cannot approve it.
    login(page, live_server, "acme", cast.a.users["finance"].email, totp_secret=TOTP_SECRET)
    page.goto(portal_url(live_server, "acme", "/finance/batches/"))
    page.click("[data-testid=new-batch]")
    page.click("[data-testid=build-batch]")
    page.wait_for_selector("[data-testid=maker-note]")
    assert "$1,000.00" in page.inner_text("[data-testid=batch-total]")
    assert page.locator("[data-testid=approve-batch]").count() == 0
    _logout(page)

    # 2. A second finance user approves and exports; the payment file downloads.
    login(page, live_server, "acme", cast.a.users["finance2"].email, totp_secret=TOTP_SECRET)
    with cast.a.context():
        batch = PayoutBatch.objects.get()
    page.goto(portal_url(live_server, "acme", f"/finance/batches/{batch.pk}/"))
    page.click("[data-testid=approve-batch]")
    page.wait_for_selector("[data-testid=batch-approver]")
    page.click("[data-testid=export-batch]")
    with page.expect_download() as download_info:
        page.click("[data-testid=download-csv]")
    text = download_info.value.path().read_text(encoding="utf-8-sig")
    assert batch.reference in text and "D100" in text and "CL-900/2" in text and "•••• 3000" in text

    # 3. The bank paid: mark the partner's payment paid.
    page.click("[data-testid=payment-D100] a")
    page.fill("input[name=reference]", "TRX-JOURNEY-1")
    page.fill("input[name=paid_on]", "2026-12-07")
    page.click("[data-testid=mark-paid]")
    page.wait_for_selector("text=Payment marked paid.")
    _logout(page)

    # 4. The partner's admin downloads the remittance statement.
    login(page, live_server, "acme", cast.a.users["p1_admin"].email)
    page.goto(portal_url(live_server, "acme", "/finance/remittances/"))
    with page.expect_download() as download_info:
        page.click("[data-testid=remittance-pdf]")
    pdf = download_info.value.path().read_bytes()
    statement = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert batch.reference in statement and "TRX-JOURNEY-1" in statement and "CL-900/1" in statement
    assert "Total paid: $1,000.00" in statement
