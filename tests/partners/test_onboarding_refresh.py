"""The onboarding checklist follows the data without a page view writing anything: the page shows
the live state, the events that change the data (and an hourly task) record it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import OnboardingItem, OnboardingStep, PayoutDetails
from partners.services.agreements import agreement_template_create, agreement_template_publish
from partners.tasks import onboarding_refresh
from prm.audit.models import AuditEvent
from tests.partners import helpers

pytestmark = pytest.mark.django_db
K = OnboardingStep.Kind


def _payout_details_behind_the_services_back(cast, partner) -> None:
    """Data that changed without the service that refreshes the checklist (like an import)."""
    PayoutDetails.objects.create(
        partner=partner,
        account_holder="N",
        account_number="DE89370400440532013000",
        tax_id="T1",
        updated_by=cast.a.users["p1_admin"],
    )


def _item(partner, kind) -> OnboardingItem:
    return OnboardingItem.objects.get(partner=partner, step__kind=kind)


@pytest.mark.parametrize("who", ["p1_admin", "manager", "admin"])
def test_the_onboarding_page_writes_no_checklist_or_audit_row(cast, who):
    with cast.a.context():
        helpers.program_with_partners(cast)
        partner = cast.a.partners["p1"]
        _payout_details_behind_the_services_back(cast, partner)
        audit_rows = AuditEvent.objects.count()
        checklist = sorted(OnboardingItem.objects.values_list("pk", "completed_at"))
    client = cast.a.client(who)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/partners/{partner.pk}/onboarding/")
    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and any(table in q["sql"] for table in (OnboardingItem._meta.db_table, AuditEvent._meta.db_table))
    ]
    assert writes == []
    with cast.a.context():
        assert AuditEvent.objects.count() == audit_rows
        assert sorted(OnboardingItem.objects.values_list("pk", "completed_at")) == checklist
    # The page shows the data as it stands: the payout step is done.
    assert b'data-kind="payout_details" data-done="yes"' in response.content


def test_the_hourly_refresh_records_what_changed_outside_the_services(cast):
    with cast.a.context():
        helpers.program_with_partners(cast)
        partner = cast.a.partners["p1"]
        _payout_details_behind_the_services_back(cast, partner)
        assert _item(partner, K.PAYOUT_DETAILS).completed_at is None
        assert onboarding_refresh.run() >= 1
        assert _item(partner, K.PAYOUT_DETAILS).completed_at is not None
        assert AuditEvent.objects.filter(
            action="onboarding.complete", object_id=str(_item(partner, K.PAYOUT_DETAILS).pk)
        ).exists()
        assert onboarding_refresh.run() == 0  # nothing left to do: re-running is safe


def test_a_new_version_to_sign_reopens_the_agreement_item_after_commit(
    cast, django_capture_on_commit_callbacks
):
    with cast.a.context():
        program = helpers.program_with_partners(cast, signed=True)
        partner = cast.a.partners["p1"]
        assert _item(partner, K.SIGN_AGREEMENT).completed_at is not None
        draft = agreement_template_create(
            program=program,
            acting_membership=cast.a.memberships["manager"],
            title="Agreement 2027",
            body="{{ partner_name }} agrees.",
            requires_resign=True,
        )
        with django_capture_on_commit_callbacks(execute=True):
            agreement_template_publish(template=draft, acting_membership=cast.a.memberships["manager"])
        assert _item(partner, K.SIGN_AGREEMENT).completed_at is None
        assert AuditEvent.objects.filter(action="onboarding.reopen").count() == 1
