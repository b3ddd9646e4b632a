"""A partner's main journey on a phone (390x844): sign in, register a deal, accept a lead, upload a
POS file, reaching each page through the folded navigation. No page is wider than the screen:
tables scroll sideways inside their own box."""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest

from deals.models import DealRegistration, Lead
from deals.services.leads import lead_create
from partners.models import Partner
from tests.browser import login
from tests.posdata.helpers import catalog  # noqa: F401  (the POS catalog fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def _go(page, area: str, href: str) -> None:
    """Through the menu button and the area's group, as a thumb would."""
    page.click("[data-testid=menu-toggle]")
    page.locator("[data-testid=sidebar]").wait_for(state="visible")
    if page.get_attribute(f"[data-testid=nav-area-{area}]", "open") is None:
        page.click(f"[data-testid=nav-area-{area}] summary")
    page.click(f"[data-testid=nav-area-{area}] a[href='{href}']")
    page.wait_for_url(f"**{href}")
    _fits_the_phone(page)


def _offer_a_lead_to_p1(cast) -> Lead:
    with cast.a.context():
        Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(
            status="active", country="US", region="West", expertise=["pumps"]
        )
        Partner.objects.filter(pk=cast.a.partners["p2"].pk).update(status="active", expertise=["valves"])
        lead = lead_create(
            acting_membership=cast.a.memberships["manager"],
            data={
                "company": "Harbor Utilities",
                "country": "US",
                "region": "West",
                "product_interest": "pumps",
                "value": "8000",
                "contact_name": "Lee Harbor",
                "contact_email": "lee@harbor.example",
            },
        )
    assert lead.partner_id == cast.a.partners["p1"].pk and lead.status == Lead.Status.OFFERED
    return lead


@pytest.mark.usefixtures("catalog")
def test_partner_registers_a_deal_accepts_a_lead_and_uploads_pos_data_on_a_phone(
    cast, chromium_path, live_server, page, tmp_path
):
    lead = _offer_a_lead_to_p1(cast)
    page.set_viewport_size(PHONE)
    login(page, live_server, "acme", cast.a.users["p1_user"].email)
    _fits_the_phone(page)
    assert not page.locator("[data-testid=sidebar]").is_visible()

    # 1. Register a deal.
    _go(page, "deals", "/deals/")
    page.click("[data-testid=register-deal]")
    _fits_the_phone(page)
    page.fill("input[name=customer_name]", "Pocket Pumps Incorporated")
    page.fill("input[name=customer_domain]", "pocketpumps.example")
    page.fill("input[name=country]", "US")
    page.fill("input[name=address]", "9 Harbour Road, Portland")
    page.fill("input[name=contact_name]", "Robin Pocket")
    page.fill("input[name=contact_email]", "robin@pocketpumps.example")
    page.fill("input[name=expected_close_date]", (datetime.date.today() + timedelta(days=45)).isoformat())
    page.select_option("select[name=lines-0-product_line]", "pumps")
    page.fill("input[name=lines-0-quantity]", "2")
    page.fill("input[name=lines-0-value]", "9500")
    page.click("[data-testid=submit]")
    page.wait_for_selector("h1 .status-badge")
    _fits_the_phone(page)
    with cast.a.context():
        deal = DealRegistration.objects.get(customer_name="Pocket Pumps Incorporated")
    assert deal.status == DealRegistration.Status.SUBMITTED

    # 2. Accept the lead offered to the partner: a draft registration opens, completed and submitted.
    _go(page, "deals", "/deals/leads/")
    page.click("[data-testid=leads] a:has-text('Harbor Utilities')")
    page.wait_for_selector("[data-testid=lead-accept]")
    _fits_the_phone(page)
    page.click("[data-testid=lead-accept] button[type=submit]")
    page.wait_for_url("**/edit/")
    _fits_the_phone(page)
    page.fill("input[name=address]", "1 Pier Street, Seattle")
    page.fill("input[name=expected_close_date]", (datetime.date.today() + timedelta(days=60)).isoformat())
    page.click("[data-testid=submit]")
    page.wait_for_selector("h1 .status-badge")
    with cast.a.context():
        lead.refresh_from_db()
        from_lead = DealRegistration.objects.get(lead=lead)
    assert lead.status == Lead.Status.ACCEPTED
    assert (
        from_lead.status == DealRegistration.Status.SUBMITTED
        and from_lead.customer_name == "Harbor Utilities"
    )

    # 3. Upload a POS file, confirm the mapping, watch it load.
    today = datetime.date.today().isoformat()
    path = tmp_path / "northwind-pos.csv"
    path.write_text(
        "Invoice #,Ship Date,Part #,Qty,Unit Price,End User\n"
        f"P-1,{today},PMP-100,4,125.00,Alpine Works\n"
        f"P-2,{today},PMP-100,3,125.00,Baltic Farms\n",
        encoding="utf-8",
    )
    _go(page, "channel_data", "/pos/uploads/")
    page.locator("main a[href='/pos/uploads/new/']").first.click()
    page.wait_for_url("**/pos/uploads/new/")
    _fits_the_phone(page)
    page.set_input_files("input[name=file]", str(path))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=mapping-preview]")
    _fits_the_phone(page)
    page.click("[data-testid=confirm-mapping]")
    page.wait_for_selector("[data-testid=upload-status][data-status=loaded]", timeout=30_000)
    assert page.inner_text("[data-testid=rows-loaded]") == "2"
    _fits_the_phone(page)

    # The uploads list is a wide table: it scrolls inside its box, the page does not.
    _go(page, "channel_data", "/pos/uploads/")
    table = page.locator("[data-testid=upload-table]")
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
