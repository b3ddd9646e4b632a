"""Finance settings: the tenant's rate-date policy for payout batches (approval date by default)
is set by the vendor admin or finance on a settings page (audited); a batch takes the tenant's
policy when it is built, records it, and converts at that policy's date; under the approval
date policy the batch records the day whose rates it used."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from prm.audit.models import AuditEvent
from prm.finance.batches import payout_batch_approve, payout_batch_create
from prm.finance.models import FinanceSettings, FxRate, PayoutBatch
from prm.finance.services import finance_settings_update
from prm.workflow import DomainError
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/finance/settings/"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("finance", 200),
        ("manager", 403),
        ("marketing", 403),
        ("p1_admin", 403),
        ("p1_user", 403),
    ],
)
def test_the_settings_page_is_for_the_vendor_admin_and_finance(cast, who, status):
    assert cast.a.client(who).get(URL).status_code == status


def test_anonymous_goes_to_login_and_the_default_is_the_approval_date_without_a_write(cast):
    response = cast.a.client().get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    body = cast.a.client("finance").get(URL).content.decode()
    assert '<option value="approval" selected>' in body
    with cast.a.context():
        assert not FinanceSettings.objects.exists()


def test_saving_the_policy_is_audited_and_stays_in_the_tenant(cast):
    response = cast.a.client("finance").post(URL, {"rate_date_policy": "due_date"})
    assert response.status_code == 302
    with cast.a.context():
        assert FinanceSettings.objects.get().rate_date_policy == "due_date"
        event = AuditEvent.objects.get(action="finance_settings.update")
        assert (event.before, event.after) == (
            {"rate_date_policy": "approval"},
            {"rate_date_policy": "due_date"},
        )
        assert event.actor == cast.a.users["finance"]
    with cast.b.context():
        assert not FinanceSettings.objects.exists()
    body = cast.a.client("admin").get(URL).content.decode()
    assert '<option value="due_date" selected>' in body


def test_an_unknown_policy_is_refused_and_nothing_is_written(cast):
    response = cast.a.client("finance").post(URL, {"rate_date_policy": "yesterday"})
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    with cast.a.context():
        assert not FinanceSettings.objects.exists()
        with pytest.raises(DomainError):
            finance_settings_update(
                acting_membership=cast.a.memberships["finance"], rate_date_policy="yesterday"
            )
        with pytest.raises(PermissionDenied):
            finance_settings_update(
                acting_membership=cast.a.memberships["manager"], rate_date_policy="due_date"
            )
        assert not AuditEvent.objects.filter(action="finance_settings.update").exists()


@pytest.fixture
def euro_payable(cast, fake_source):  # noqa: F811
    """P1 is owed 100 EUR due 2026-03-31; EUR/USD is 1.05 from March, 1.20 from June."""
    payout_details(cast.a, "p1")
    with cast.a.context():
        for day, rate in ((datetime.date(2026, 3, 1), "1.05"), (datetime.date(2026, 6, 1), "1.20")):
            FxRate.objects.create(
                base_currency="EUR", quote_currency="USD", rate_date=day, rate=Decimal(rate), source="ECB"
            )
    return make_payable(
        cast.a, source_id="EU", amount="100.00", currency="EUR", due_date=datetime.date(2026, 3, 31)
    )


def _build_and_approve(cast):
    with time_machine.travel(datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC)):
        response = cast.a.client("finance").post("/finance/batches/new/", {"currency": "USD"})
        assert response.status_code == 302
        with cast.a.context():
            batch = PayoutBatch.objects.get()
            built_policy = batch.rate_date_policy
            audit_created = AuditEvent.objects.get(
                action="payout_batch.create", object_id=str(batch.pk)
            ).after
    with time_machine.travel(datetime.datetime(2026, 7, 2, 12, tzinfo=datetime.UTC)), cast.a.context():
        approved = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        audit_approved = AuditEvent.objects.get(action="payout_batch.approve", object_id=str(batch.pk)).after
        return built_policy, approved, approved.lines.get(), audit_created, audit_approved


def test_by_default_a_batch_converts_at_the_approval_date_and_records_it(cast, euro_payable):
    policy, batch, line, created, approved = _build_and_approve(cast)
    assert policy == "approval" and created["rate_date_policy"] == "approval"
    assert batch.rate_day == datetime.date(2026, 7, 2) and approved["rate_day"] == "2026-07-02"
    assert (line.rate, line.rate_date, line.rate_source, line.payment_amount) == (
        Decimal("1.2"),
        datetime.date(2026, 6, 1),
        "ECB",
        Decimal("120.00"),
    )


def test_with_the_due_date_policy_set_on_the_page_the_batch_converts_at_each_due_date(cast, euro_payable):
    cast.a.client("admin").post(URL, {"rate_date_policy": "due_date"})
    html = cast.a.client("finance").get("/finance/batches/new/").content.decode()
    assert "Each payable&#x27;s due date" in html or "Each payable's due date" in html
    policy, batch, line, created, approved = _build_and_approve(cast)
    assert policy == "due_date" and created["rate_date_policy"] == "due_date"
    assert batch.rate_day is None and approved["rate_day"] is None
    assert (line.rate, line.rate_date, line.payment_amount) == (
        Decimal("1.05"),
        datetime.date(2026, 3, 1),
        Decimal("105.00"),
    )


def test_a_built_batch_keeps_the_policy_it_recorded_when_the_setting_changes(cast, euro_payable):
    with time_machine.travel(datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC)), cast.a.context():
        batch = payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")
        finance_settings_update(acting_membership=cast.a.memberships["admin"], rate_date_policy="due_date")
        approved = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        line = approved.lines.get()
    assert approved.rate_date_policy == "approval" and approved.rate_day == datetime.date(2026, 7, 1)
    assert line.rate == Decimal("1.2")
    html = cast.a.client("finance").get(f"/finance/batches/{batch.pk}/").content.decode()
    assert "Approval date" in html and "2026-07-01" in html
