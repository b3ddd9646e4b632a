"""Applications: submission with duplicate flag, and every review transition with its audit row."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from partners.models import Partner, PartnerApplication
from partners.services.applications import (
    application_amend,
    application_approve,
    application_reject,
    application_request_info,
    application_submit,
    normalise_domain,
)
from prm.accounts.models import Invitation
from prm.audit.models import AuditEvent
from prm.workflow import DomainError, InvalidTransition
from tests.partners import helpers

pytestmark = pytest.mark.django_db

FORM = {
    "company": "Orbit Controls",
    "website": "https://www.Orbit.test/about",
    "country": "US",
    "region": "West",
    "type": "reseller",
    "expertise": ["pumps"],
    "revenue_band": "1m-10m",
    "contact_name": "Pat Applicant",
    "contact_email": "pat@orbit.test",
    "contact_phone": "",
    "message": "",
}


def test_domain_is_normalised_from_the_website():
    assert normalise_domain("https://WWW.Example.com/about") == "example.com"
    assert normalise_domain("example.org") == "example.org"


def test_second_application_from_the_same_domain_is_flagged_as_duplicate(cast):
    with cast.a.context():
        first = application_submit(data=FORM, ip="203.0.113.5")
        second = application_submit(
            data={**FORM, "company": "Orbit Canada", "website": "http://orbit.test/ca"}
        )
        assert (first.is_duplicate, second.is_duplicate) == (False, True)
        assert "Orbit Controls" in second.duplicate_note
        assert AuditEvent.objects.filter(action="application.submit").count() == 2


def test_application_with_an_existing_partners_domain_is_flagged(cast):
    with cast.a.context():
        Partner.objects.filter(pk=cast.a.partners["p1"].pk).update(website="https://www.orbit.test")
        assert application_submit(data=FORM).is_duplicate


def test_approval_creates_the_partner_in_the_entry_tier_and_invites_the_contact(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    with cast.a.context():
        app = helpers.application()
        with django_capture_on_commit_callbacks(execute=True):
            partner = application_approve(
                application=app, acting_membership=cast.a.memberships["manager"], code="r900"
            )
        app.refresh_from_db()
        assert (app.status, app.partner_id, app.reviewed_by) == (
            "approved",
            partner.pk,
            cast.a.users["manager"],
        )
        assert (partner.code, partner.tier, partner.status) == (
            "R900",
            "Registered",
            Partner.Status.ONBOARDING,
        )
        assert partner.current_tier.rank == 0 and partner.program.is_default
        invitation = Invitation.objects.get(email="pat@orbit.test")
        assert (invitation.role, invitation.partner_id) == ("partner_admin", partner.pk)
        assert partner.onboarding_items.count() == 5
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {"application.approve", "partner.create", "partner.enrol", "invitation.create"} <= actions
    assert any("pat@orbit.test" in m.to for m in mailoutbox)


def test_reject_needs_a_reason_and_records_it(cast, mailoutbox, django_capture_on_commit_callbacks):
    with cast.a.context():
        app = helpers.application()
        with pytest.raises(DomainError):
            application_reject(application=app, acting_membership=cast.a.memberships["manager"], reason=" ")
        assert not AuditEvent.objects.filter(action="application.reject").exists()
        with django_capture_on_commit_callbacks(execute=True):
            application_reject(
                application=app,
                acting_membership=cast.a.memberships["manager"],
                reason="Outside our territory",
            )
        app.refresh_from_db()
        assert (app.status, app.rejection_reason) == ("rejected", "Outside our territory")
        assert AuditEvent.objects.get(action="application.reject").after["reason"] == "Outside our territory"
    assert "Outside our territory" in mailoutbox[-1].body


def test_request_info_sends_a_single_use_amend_link(cast, mailoutbox, django_capture_on_commit_callbacks):
    with cast.a.context():
        app = helpers.application()
        with django_capture_on_commit_callbacks(execute=True):
            token = application_request_info(
                application=app, acting_membership=cast.a.memberships["admin"], message="Which regions?"
            )
        assert f"/partners/apply/amend/{token}/" in mailoutbox[-1].body
        amended = application_amend(token=token, data={**FORM, "region": "East"})
        assert (amended.status, amended.region, amended.amend_token) == ("submitted", "East", None)
        assert (
            AuditEvent.objects.filter(action__in=["application.request_info", "application.amend"]).count()
            == 2
        )
        with pytest.raises(DomainError):
            application_amend(token=token, data=FORM)


def test_partner_roles_cannot_review_and_nothing_is_written(cast):
    with cast.a.context():
        app = helpers.application()
        events = AuditEvent.objects.count()
        with pytest.raises(PermissionDenied):
            application_approve(application=app, acting_membership=cast.a.memberships["p1_admin"])
        app.refresh_from_db()
        assert app.status == PartnerApplication.Status.SUBMITTED
        assert not Partner.objects.filter(name="Orbit Controls").exists()
        assert AuditEvent.objects.count() == events


def test_a_rejected_application_cannot_be_approved(cast):
    with cast.a.context():
        app = helpers.application(status="rejected")
        with pytest.raises(InvalidTransition):
            application_approve(application=app, acting_membership=cast.a.memberships["manager"])
        assert not Partner.objects.filter(name="Orbit Controls").exists()
