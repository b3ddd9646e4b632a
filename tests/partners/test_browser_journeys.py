"""Real-browser journeys: a company applies, a channel manager approves, the contact accepts the
invitation, signs the agreement and completes onboarding; a partner user gets certified."""

from __future__ import annotations

import re

import pytest

from partners.models import Agreement, Certification, Partner
from prm.accounts.models import Invitation
from tests.browser import login, portal_url
from tests.conftest import TOTP_SECRET
from tests.factories import PASSWORD
from tests.partners import helpers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logout(page):
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/accounts/login/**")


def test_apply_approve_accept_sign_and_complete_onboarding(cast, chromium_path, live_server, page):
    with cast.a.context():
        helpers.program_with_partners(cast)
        course = helpers.course()
    # 1. A visitor applies on the public form.
    page.goto(portal_url(live_server, "acme", "/partners/apply/"))
    page.fill("input[name=company]", "Orbit Controls")
    page.fill("input[name=website]", "https://orbit.test")
    page.fill("input[name=country]", "US")
    page.select_option("select[name=type]", "reseller")
    page.select_option("select[name=revenue_band]", "1m-10m")
    page.fill("input[name=contact_name]", "Pat Applicant")
    page.fill("input[name=contact_email]", "pat@orbit.test")
    page.click("[data-testid=apply-submit]")
    page.wait_for_selector("[data-testid=apply-thanks]")

    # 2. The channel manager approves it.
    login(page, live_server, "acme", cast.a.users["manager"].email, totp_secret=TOTP_SECRET)
    page.goto(portal_url(live_server, "acme", "/partners/applications/"))
    page.click("text=Orbit Controls")
    page.fill("input[name=code]", "R777")
    page.click("[data-testid=approve]")
    page.wait_for_selector("text=Orbit Controls was created")
    _logout(page)

    # 3. The contact accepts the invitation and creates an account.
    with cast.a.context():
        token = Invitation.objects.get(email="pat@orbit.test").token
    page.goto(portal_url(live_server, "acme", f"/invitations/{token}/"))
    page.fill("input[name=full_name]", "Pat Applicant")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("button[type=submit]:has-text('Create account')")
    page.wait_for_selector("[data-testid=partner-status-panel]")

    # 4. Sign the agreement.
    page.goto(portal_url(live_server, "acme", "/partners/agreement/"))
    page.click("[data-testid=open-agreement]")
    page.fill("input[name=signer_name]", "Pat Applicant")
    page.check("input[name=consent]")
    page.click("[data-testid=sign]")
    page.wait_for_selector("[data-testid=agreement-signed]")
    with cast.a.context():
        partner = Partner.objects.get(code="R777")
        assert Agreement.objects.get(partner=partner).status == "signed"
        assert partner.status == "active"

    # 5. Company profile, payout details, a colleague, a certification.
    page.goto(portal_url(live_server, "acme", f"/partners/{partner.pk}/edit/"))
    page.fill("input[name=phone]", "+1 555 0100")
    page.fill("input[name=address]", "1 Orbit Way")
    page.fill("input[name=city]", "Austin")
    page.fill("input[name=postal_code]", "73301")
    page.click("[data-testid=save-profile]")
    page.wait_for_selector("text=Company profile saved")
    page.goto(portal_url(live_server, "acme", f"/partners/{partner.pk}/payout/"))
    page.fill("input[name=account_holder]", "Orbit Controls LLC")
    page.fill("input[name=account_number]", "DE89 3704 0044 0532 0130 00")
    page.fill("input[name=tax_id]", "US-12-3456789")
    page.click("[data-testid=save-payout]")
    page.wait_for_selector("[data-testid=payout-masked]")
    assert "•••• 3000" in page.inner_text("[data-testid=payout-masked]")
    page.goto(portal_url(live_server, "acme", "/people/invite/"))
    page.fill("input[name=email]", "sam@orbit.test")
    page.select_option("select[name=role]", "partner_user")
    page.click("main button[type=submit]")
    page.wait_for_url("**/people/")
    _take_quiz(page, live_server, course)

    page.goto(portal_url(live_server, "acme", f"/partners/{partner.pk}/onboarding/"))
    items = page.locator("[data-testid=onboarding-items] li")
    assert items.count() == 5
    assert page.locator("[data-testid=onboarding-items] li[data-done=yes]").count() == 5


def _take_quiz(page, live_server, course):
    page.goto(portal_url(live_server, "acme", f"/partners/training/{course.pk}/"))
    for fieldset in page.locator("[data-testid=quiz] fieldset").all():
        fieldset.locator("label:has-text('right')").click()
    page.click("[data-testid=submit-quiz]")
    page.wait_for_selector("text=you are now certified")


def test_partner_user_takes_a_course_and_gets_certified(cast, chromium_path, live_server, page):
    with cast.a.context():
        course = helpers.course()
    login(page, live_server, "acme", cast.a.users["p1_user"].email)
    page.goto(portal_url(live_server, "acme", "/partners/training/"))
    page.click(f"text={course.title}")
    page.wait_for_url(re.compile(rf".*/partners/training/{course.pk}/$"))
    _take_quiz(page, live_server, course)
    page.goto(portal_url(live_server, "acme", "/partners/training/"))
    assert "Sales Pro" in page.inner_text("[data-testid=my-certifications]")
    with cast.a.context():
        cert = Certification.objects.get(user=cast.a.users["p1_user"])
        assert (cert.status, cert.partner_id) == ("valid", cast.a.partners["p1"].pk)
