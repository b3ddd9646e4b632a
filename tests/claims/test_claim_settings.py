"""The claim settings page: the vendor admin sets the claim window and the payment term of
approved claims (validated, audited); validation and approval use them; other roles get 403."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimSettings
from claims.services.claims import claim_approve
from claims.services.settings import claim_settings_update
from prm.audit.models import AuditEvent
from prm.finance.models import Payable
from prm.workflow import DomainError
from tests.claims.helpers import agreement, line, submit, verdicts

pytestmark = pytest.mark.django_db
URL = reverse("claims:settings")
# 100 days before the helpers' claim date (2026-06-30): past the default 90-day window.
OLD_SHIP_DATE = "2026-03-22"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("manager", 403),
        ("finance", 403),
        ("marketing", 403),
        ("p1_admin", 403),
        ("p1_user", 403),
    ],
)
def test_only_the_vendor_admin_opens_the_settings(cast, who, status):
    assert cast.a.client(who).get(URL).status_code == status


def test_anonymous_goes_to_login_and_the_page_shows_the_domain_defaults_without_writing(cast):
    response = cast.a.client().get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    body = cast.a.client("admin").get(URL).content.decode()
    assert 'name="claim_window_days"' in body and 'value="90"' in body and 'value="30"' in body
    with cast.a.context():
        assert not ClaimSettings.objects.exists()  # a GET writes nothing


def test_the_admin_saves_the_settings_and_the_change_is_audited(cast):
    response = cast.a.client("admin").post(URL, {"claim_window_days": "120", "payment_term_days": "45"})
    assert response.status_code == 302
    with cast.a.context():
        saved = ClaimSettings.objects.get()
        assert (saved.claim_window_days, saved.payment_term_days) == (120, 45)
        event = AuditEvent.objects.get(action="claim_settings.update")
        assert event.before == {"claim_window_days": 90, "payment_term_days": 30}
        assert event.after == {"claim_window_days": 120, "payment_term_days": 45}
        assert event.actor == cast.a.users["admin"]
    with cast.b.context():
        assert not ClaimSettings.objects.exists()  # the other tenant keeps its defaults


@pytest.mark.parametrize(
    "data",
    [
        {"claim_window_days": "0", "payment_term_days": "30"},
        {"claim_window_days": "5000", "payment_term_days": "30"},
        {"claim_window_days": "ninety", "payment_term_days": "30"},
        {"claim_window_days": "90", "payment_term_days": "400"},
        {"claim_window_days": "90", "payment_term_days": "-1"},
    ],
)
def test_invalid_settings_are_refused_with_the_reason_and_nothing_is_written(cast, data):
    response = cast.a.client("admin").post(URL, data)
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    with cast.a.context():
        assert not ClaimSettings.objects.exists()
        assert not AuditEvent.objects.filter(action="claim_settings.update").exists()


def test_the_service_refuses_other_roles_and_out_of_range_values(cast):
    with cast.a.context():
        with pytest.raises(PermissionDenied):
            claim_settings_update(
                acting_membership=cast.a.memberships["manager"], claim_window_days=120, payment_term_days=30
            )
        with pytest.raises(DomainError):
            claim_settings_update(
                acting_membership=cast.a.memberships["admin"], claim_window_days=0, payment_term_days=30
            )
        assert not ClaimSettings.objects.exists()


def test_validation_uses_the_claim_window_set_on_the_page(cast):
    with cast.a.context():
        agreement(cast)
        before = submit(cast, [line(ship_date=OLD_SHIP_DATE)], number="DM-1")
    assert verdicts(before) == [("rejected", ["CLAIM_PAST_WINDOW"], 0, "0.0000")]
    cast.a.client("admin").post(URL, {"claim_window_days": "120", "payment_term_days": "30"})
    with cast.a.context():
        after = submit(cast, [line(ship_date=OLD_SHIP_DATE, invoice_number="INV-2")], number="DM-2")
    assert verdicts(after) == [("accepted", [], 2, "40.0000")]
    assert verdicts(before)[0][0] == "rejected"  # verdicts already given stay


def test_approval_uses_the_payment_term_set_on_the_page(cast):
    cast.a.client("admin").post(URL, {"claim_window_days": "90", "payment_term_days": "45"})
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line()])
        claim = claim_approve(claim=claim, acting_membership=cast.a.memberships["manager"])
        payable = Payable.objects.get(pk=claim.payable_id)
        assert payable.due_date == timezone.localdate() + datetime.timedelta(days=45)
