"""Payout batch services: building with netting, carry-forward and held partners; maker-checker;
rates at the policy date; export, paid per partner, cancel; refused moves write nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from prm.audit.models import AuditEvent
from prm.finance.batches import (
    BatchFilters,
    PaymentConfirmation,
    payout_batch_approve,
    payout_batch_cancel,
    payout_batch_create,
    payout_batch_export,
    payout_batch_mark_paid,
)
from prm.finance.models import FxRate, Payable, PayoutBatch, PayoutBatchLine, PayoutPayment
from prm.finance.services import finance_settings_update
from prm.notifications.models import Notification
from prm.workflow import DomainError, InvalidTransition
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def owed(cast, fake_source):  # noqa: F811
    """P1: 100 and 250 owed, a 30 clawback (net 320). P2: 20 owed, a 50 clawback (net -30)."""
    payout_details(cast.a, "p1")
    payout_details(cast.a, "p2")
    rows = {
        "p1_a": make_payable(cast.a, source_id="A", amount="100.00")[0],
        "p1_b": make_payable(cast.a, source_id="B", amount="250.00")[0],
        "p1_claw": make_payable(cast.a, source_id="C", amount="-30.00")[0],
        "p2_a": make_payable(cast.a, "p2", source_id="D", amount="20.00")[0],
        "p2_claw": make_payable(cast.a, "p2", source_id="E", amount="-50.00")[0],
    }
    return rows


def _status(cast, payable):
    with cast.a.context():
        return Payable.objects.get(pk=payable.pk).status


def _create(cast, who="finance", **kwargs):
    kwargs.setdefault("currency", "USD")
    with cast.a.context():
        return payout_batch_create(acting_membership=cast.a.memberships[who], **kwargs)


def test_clawbacks_net_per_partner_and_a_negative_net_carries_forward(cast, owed):
    batch = _create(cast)
    with cast.a.context():
        payments = {p.partner.code: p for p in batch.payments.select_related("partner")}
        assert payments["D100"].status == PayoutPayment.Status.TO_PAY
        assert payments["D100"].amount == Decimal("320.00") and payments["D100"].line_count == 3
        assert payments["D200"].status == PayoutPayment.Status.HELD
        assert payments["D200"].hold_reason == PayoutPayment.Hold.NEGATIVE_NET
        assert payments["D200"].amount == Decimal("-30.00")
        assert set(PayoutBatchLine.objects.filter(batch=batch).values_list("payable_id", flat=True)) == {
            owed["p1_a"].pk,
            owed["p1_b"].pk,
            owed["p1_claw"].pk,
        }
        assert AuditEvent.objects.filter(action="payout_batch.create", object_id=str(batch.pk)).count() == 1
        assert AuditEvent.objects.filter(action="payable.batch").count() == 3
    assert {_status(cast, owed[k]) for k in ("p1_a", "p1_b", "p1_claw")} == {Payable.Status.IN_BATCH}
    # P2's payables stay open: they carry forward into the next batch.
    assert {_status(cast, owed[k]) for k in ("p2_a", "p2_claw")} == {Payable.Status.OPEN}


def test_partners_without_verified_payout_details_are_held_back_with_the_reason(cast, fake_source):  # noqa: F811
    payout_details(cast.a, "p2", verified=False)
    make_payable(cast.a, source_id="A", amount="10.00")
    make_payable(cast.a, "p2", source_id="B", amount="10.00")
    with pytest.raises(DomainError, match="held back"):
        _create(cast)
    with cast.a.context():
        assert PayoutBatch.objects.count() == 0 and Payable.objects.filter(status="open").count() == 2
    payout_details(cast.a, "p1")
    batch = _create(cast)
    with cast.a.context():
        reasons = dict(batch.payments.values_list("partner__code", "hold_reason"))
    assert reasons == {"D100": "", "D200": PayoutPayment.Hold.PAYOUT_UNVERIFIED}


def test_filters_select_partners_sources_currency_and_due_date(cast, owed):
    make_payable(cast.a, source_id="LATE", amount="5.00", due_date=datetime.date(2027, 6, 1))
    batch = _create(
        cast,
        filters=BatchFilters(partner_ids=(cast.a.partners["p1"].pk,), due_before=datetime.date(2027, 1, 1)),
    )
    with cast.a.context():
        assert batch.lines.count() == 3 and batch.payments.count() == 1
        assert batch.filters["due_before"] == "2027-01-01"


def test_the_builder_cannot_approve_even_through_the_service(cast, owed):
    batch = _create(cast)
    with cast.a.context():
        before = AuditEvent.objects.count()
        with pytest.raises(DomainError, match="different finance user"):
            payout_batch_approve(batch=batch, acting_membership=cast.a.memberships["finance"])
        assert PayoutBatch.objects.get(pk=batch.pk).status == PayoutBatch.Status.DRAFT
        assert AuditEvent.objects.count() == before
    assert _status(cast, owed["p1_a"]) == Payable.Status.IN_BATCH


def test_a_second_finance_user_approves_and_the_payables_follow(cast, owed):
    batch = _create(cast)
    checker = second_finance(cast.a)
    with cast.a.context():
        approved = payout_batch_approve(batch=batch, acting_membership=checker)
        assert approved.status == PayoutBatch.Status.APPROVED and approved.approved_by == checker.user
        event = AuditEvent.objects.get(action="payout_batch.approve")
        assert event.actor == checker.user and event.after["total"] == "320.00"
        assert AuditEvent.objects.filter(action="payable.approve").count() == 3
        assert Notification.objects.filter(
            recipient=cast.a.users["finance"], verb="payout_batch.approved"
        ).exists()
    assert _status(cast, owed["p1_b"]) == Payable.Status.APPROVED


def test_other_roles_cannot_build_or_approve(cast, owed):
    for who in ("admin", "manager", "p1_admin"):
        with pytest.raises(PermissionDenied):
            _create(cast, who=who)
    batch = _create(cast)
    with cast.a.context(), pytest.raises(PermissionDenied):
        payout_batch_approve(batch=batch, acting_membership=cast.a.memberships["admin"])


def test_rates_are_taken_at_the_approval_date_by_default(cast, fake_source):  # noqa: F811
    payout_details(cast.a, "p1")
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.10"),
            source="ECB",
        )
    make_payable(cast.a, source_id="EU", amount="100.00", currency="EUR")
    with time_machine.travel(datetime.datetime(2026, 2, 1, 12, tzinfo=datetime.UTC)):
        batch = _create(cast)
    with cast.a.context():
        line = batch.lines.get()
        assert (line.rate, line.rate_date, line.payment_amount) == (
            Decimal("1.1"),
            datetime.date(2026, 1, 1),
            Decimal("110.00"),
        )
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 3, 1),
            rate=Decimal("1.2345"),
            source="ECB",
        )
    checker = second_finance(cast.a)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)), cast.a.context():
        approved = payout_batch_approve(batch=batch, acting_membership=checker)
        line = approved.lines.get()
        assert line.rate == Decimal("1.2345") and line.rate_date == datetime.date(2026, 3, 1)
        assert line.rate_source == "ECB" and line.payment_amount == Decimal("123.45")
        assert line.amount == Decimal("100.00") and line.currency == "EUR" and line.payment_currency == "USD"
        assert approved.payments.get().amount == Decimal("123.45")
        assert approved.rate_day == datetime.date(2026, 3, 2)


def test_rates_can_be_taken_at_each_payables_due_date(cast, fake_source):  # noqa: F811
    payout_details(cast.a, "p1")
    with cast.a.context():
        for day, rate in ((datetime.date(2026, 3, 1), "1.05"), (datetime.date(2026, 6, 1), "1.30")):
            FxRate.objects.create(
                base_currency="EUR", quote_currency="USD", rate_date=day, rate=Decimal(rate), source="ECB"
            )
    make_payable(cast.a, source_id="EU", amount="200.00", currency="EUR", due_date=datetime.date(2026, 3, 31))
    with cast.a.context():
        finance_settings_update(acting_membership=cast.a.memberships["finance"], rate_date_policy="due_date")
    batch = _create(cast)
    assert batch.rate_date_policy == "due_date"
    with cast.a.context():
        approved = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        line = approved.lines.get()
        assert (line.rate, line.rate_date, line.payment_amount) == (
            Decimal("1.05"),
            datetime.date(2026, 3, 1),
            Decimal("210.00"),
        )
        assert approved.rate_date_policy == "due_date" and approved.rate_day is None


def test_a_missing_rate_holds_the_partner_back(cast, fake_source):  # noqa: F811
    payout_details(cast.a, "p1")
    payout_details(cast.a, "p2")
    make_payable(cast.a, source_id="JP", amount="1000", currency="JPY")
    make_payable(cast.a, "p2", source_id="US", amount="10.00")
    batch = _create(cast)
    with cast.a.context():
        held = batch.payments.get(partner=cast.a.partners["p1"])
        assert held.hold_reason == PayoutPayment.Hold.MISSING_RATE and "JPY" in held.hold_detail


def test_export_paid_per_partner_then_the_batch_is_paid(cast, owed):
    make_payable(cast.a, "p2", source_id="F", amount="100.00")  # P2 nets 70: paid too
    batch = _create(cast)
    with cast.a.context():
        batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        finance = cast.a.memberships["finance"]
        with pytest.raises(InvalidTransition):
            payout_batch_mark_paid(
                batch=batch,
                acting_membership=finance,
                confirmations=[
                    PaymentConfirmation(cast.a.partners["p1"].pk, "BANK-1", datetime.date(2026, 12, 1))
                ],
            )
        batch = payout_batch_export(batch=batch, acting_membership=finance)
        assert Payable.objects.get(pk=owed["p1_a"].pk).status == Payable.Status.EXPORTED
        batch = payout_batch_mark_paid(
            batch=batch,
            acting_membership=finance,
            confirmations=[
                PaymentConfirmation(cast.a.partners["p1"].pk, "BANK-1", datetime.date(2026, 12, 1))
            ],
        )
        assert batch.status == PayoutBatch.Status.EXPORTED
        p1 = batch.payments.get(partner=cast.a.partners["p1"])
        assert (p1.status, p1.payment_reference, p1.paid_on) == ("paid", "BANK-1", datetime.date(2026, 12, 1))
        assert Payable.objects.get(pk=owed["p1_claw"].pk).status == Payable.Status.PAID
        assert Payable.objects.get(pk=owed["p2_a"].pk).status == Payable.Status.EXPORTED
        assert (
            Notification.objects.filter(recipient=cast.a.users["p1_admin"], verb="payout.paid").count() == 1
        )
        assert not Notification.objects.filter(
            recipient=cast.a.users["p2_admin"], verb="payout.paid"
        ).exists()
        with pytest.raises(InvalidTransition):  # paid once only
            payout_batch_mark_paid(
                batch=batch,
                acting_membership=finance,
                confirmations=[
                    PaymentConfirmation(cast.a.partners["p1"].pk, "BANK-9", datetime.date(2026, 12, 2))
                ],
            )
        batch = payout_batch_mark_paid(
            batch=batch,
            acting_membership=finance,
            confirmations=[
                PaymentConfirmation(cast.a.partners["p2"].pk, "BANK-2", datetime.date(2026, 12, 2))
            ],
        )
        assert batch.status == PayoutBatch.Status.PAID
        assert AuditEvent.objects.filter(action="payout_payment.paid").count() == 2
        assert AuditEvent.objects.filter(action="payout_batch.paid").count() == 1


def test_refused_moves_write_nothing(cast, owed):
    batch = _create(cast)
    finance = cast.a.memberships["finance"]
    with cast.a.context():
        before = AuditEvent.objects.count()
        with pytest.raises(InvalidTransition):
            payout_batch_export(batch=batch, acting_membership=finance)
        with pytest.raises(DomainError):
            payout_batch_cancel(batch=batch, acting_membership=finance, reason=" ")
        assert AuditEvent.objects.count() == before
        assert PayoutBatch.objects.get(pk=batch.pk).status == PayoutBatch.Status.DRAFT


def test_cancel_returns_payables_to_open_and_frees_them_for_another_batch(cast, owed):
    batch = _create(cast)
    finance = cast.a.memberships["finance"]
    with cast.a.context():
        batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        batch = payout_batch_cancel(batch=batch, acting_membership=finance, reason="Wrong period")
        assert batch.status == PayoutBatch.Status.CANCELLED
        assert not batch.lines.filter(live=True).exists() and batch.lines.count() == 3
        assert AuditEvent.objects.filter(action="payable.unbatch").count() == 3
    assert _status(cast, owed["p1_a"]) == Payable.Status.OPEN
    again = _create(cast)
    with cast.a.context():
        assert again.lines.count() == 3


def test_an_exported_batch_cannot_be_cancelled(cast, owed):
    batch = _create(cast)
    finance = cast.a.memberships["finance"]
    with cast.a.context():
        batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        batch = payout_batch_export(batch=batch, acting_membership=finance)
        with pytest.raises(InvalidTransition):
            payout_batch_cancel(batch=batch, acting_membership=finance, reason="Too late")


def test_the_database_refuses_a_payable_in_two_live_batches(cast, owed):
    batch = _create(cast)
    with cast.a.context():
        line = batch.lines.first()
        other = PayoutBatch.objects.create(currency="USD", created_by=cast.a.users["finance"])
        payment = PayoutPayment.objects.create(batch=other, partner=line.partner, amount=1, currency="USD")
        with pytest.raises(IntegrityError, match="payout_line_one_live_batch"), transaction.atomic():
            PayoutBatchLine.objects.create(
                batch=other,
                payment=payment,
                payable=line.payable,
                partner=line.partner,
                amount=line.amount,
                currency="USD",
                payment_amount=line.amount,
                payment_currency="USD",
            )
        # A cancelled batch's line no longer counts.
        PayoutBatchLine.objects.filter(pk=line.pk).update(live=False)
        PayoutBatchLine.objects.create(
            batch=other,
            payment=payment,
            payable=line.payable,
            partner=line.partner,
            amount=line.amount,
            currency="USD",
            payment_amount=line.amount,
            payment_currency="USD",
        )
