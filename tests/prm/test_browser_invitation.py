"""Browser journey: a partner admin invites a colleague, who follows the e-mailed link, creates an
account and lands on their partner portal home."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.browser import login, portal_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_admin_invites_colleague_who_signs_up_from_the_emailed_link(
    cast, chromium_path, live_server, page, browser
):
    login(page, live_server, "acme", cast.a.users["p1_admin"].email)
    page.goto(portal_url(live_server, "acme", "/people/invite/"))
    page.fill("input[name=email]", "new.colleague@northwind.test")
    page.select_option("select[name=role]", "partner_user")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/people/")
    assert "new.colleague@northwind.test" in page.inner_text("main")

    (message,) = [m for m in mail.outbox if m.to == ["new.colleague@northwind.test"]]
    link = re.search(r"http://acme\.localhost:\d+/invitations/[\w-]+/", message.body).group(0)
    path = link.split(":", 2)[2].split("/", 1)[1]

    guest = browser.new_context().new_page()
    guest.goto(portal_url(live_server, "acme", "/" + path))
    guest.fill("input[name=full_name]", "Nia Newcomer")
    guest.fill("input[name=password1]", "Fresh-passw0rd-2026")
    guest.fill("input[name=password2]", "Fresh-passw0rd-2026")
    guest.click("main form button[type=submit]")
    guest.wait_for_selector("[data-testid=role-home]")
    assert "Northwind Distribution" in guest.inner_text("[data-testid=role-home]")
    assert "Welcome, Nia Newcomer" in guest.inner_text("h1")

    # The link was single-use.
    other = browser.new_context().new_page()
    response = other.goto(portal_url(live_server, "acme", "/" + path))
    assert response.status == 410
