"""Payables are created only by ``payable_create``, once per source line: a re-run returns the
first payable, a different amount for the same line is refused, and the database constraint
backs it up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from prm.audit.models import AuditEvent
from prm.finance.models import Payable
from prm.finance.registry import UnknownPayableSource
from prm.finance.services import PayableConflict, payable_create
from prm.workflow import DomainError
from tests.prm.finance_helpers import fake_source, make_payable  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_a_payable_is_created_open_with_its_source_and_an_audit_row(cast, fake_source):  # noqa: F811
    payable, created = make_payable(
        cast.a, source_id="CL-7/1", amount="1250.50", description="Claim CL-7 line 1"
    )
    assert created
    with cast.a.context():
        payable.refresh_from_db()
        assert (payable.status, payable.amount, payable.currency) == ("open", Decimal("1250.50"), "USD")
        assert (payable.source_label, payable.source_url) == ("Test claim line", "/test-claims/lines/CL-7/1/")
        event = AuditEvent.objects.get(action="payable.create", object_id=str(payable.pk))
        assert event.after["source_id"] == "CL-7/1"
        assert Decimal(event.after["amount"]) == Decimal("1250.50")


def test_a_rerun_for_the_same_source_line_returns_the_first_payable(cast, fake_source):  # noqa: F811
    first, created_first = make_payable(cast.a, source_id="42")
    again, created_again = make_payable(cast.a, source_id="42")
    assert created_first and not created_again
    assert again.pk == first.pk
    with cast.a.context():
        assert Payable.objects.count() == 1
        assert AuditEvent.objects.filter(action="payable.create").count() == 1


def test_the_same_line_with_another_amount_is_refused_and_writes_nothing(cast, fake_source):  # noqa: F811
    make_payable(cast.a, source_id="42", amount="100.00")
    with pytest.raises(PayableConflict, match="PAY-"):
        make_payable(cast.a, source_id="42", amount="90.00")
    with cast.a.context():
        assert list(Payable.objects.values_list("amount", flat=True)) == [Decimal("100.00")]


def test_the_database_refuses_a_second_row_for_a_source_line(cast, fake_source):  # noqa: F811
    payable, _ = make_payable(cast.a, source_id="42")
    with cast.a.context(), pytest.raises(IntegrityError), transaction.atomic():
        Payable.objects.create(
            source_type=payable.source_type,
            source_id="42",
            partner=payable.partner,
            amount=Decimal("1"),
            currency="USD",
            due_date=payable.due_date,
        )


def test_the_same_source_id_in_another_tenant_is_another_payable(cast, fake_source):  # noqa: F811
    make_payable(cast.a, source_id="42")
    _payable, created = make_payable(cast.b, source_id="42", currency="EUR")
    assert created


def test_a_clawback_is_a_negative_payable(cast, fake_source):  # noqa: F811
    payable, _ = make_payable(cast.a, source_id="rebate-Q2-adj", amount="-80.00")
    assert payable.is_clawback and payable.amount == Decimal("-80.00")


@pytest.mark.parametrize(
    "amount,currency,message",
    [
        ("100.5", "JPY", "JPY amounts take no decimals"),
        ("1.2345", "KWD", "KWD amounts take at most 3 decimals"),
        ("10.001", "USD", "USD amounts take at most 2 decimals"),
        ("0", "USD", "zero"),
        ("10", "XYZ", "ISO 4217"),
    ],
)
def test_amounts_that_do_not_fit_their_currency_are_refused(cast, fake_source, amount, currency, message):  # noqa: F811
    with pytest.raises(DomainError, match=message):
        make_payable(cast.a, amount=amount, currency=currency)
    with cast.a.context():
        assert not Payable.objects.exists()


def test_jpy_and_kwd_amounts_are_stored_exactly(cast, fake_source):  # noqa: F811
    yen, _ = make_payable(cast.a, source_id="y", amount="123457", currency="JPY")
    dinar, _ = make_payable(cast.a, source_id="k", amount="12.345", currency="KWD")
    with cast.a.context():
        yen.refresh_from_db()
        dinar.refresh_from_db()
    assert (yen.amount, dinar.amount) == (Decimal("123457"), Decimal("12.345"))


def test_an_unregistered_source_kind_is_refused(cast):
    with cast.a.context(), pytest.raises(UnknownPayableSource, match="claim_line"):
        payable_create(
            source_type="claim_line",
            source_id="1",
            partner=cast.a.partners["p1"],
            amount=Decimal("1"),
            currency="USD",
            due_date=None,
        )


def test_a_payee_must_work_for_the_partner(cast, fake_source):  # noqa: F811
    payable, _ = make_payable(cast.a, source_id="spif-1", payee_user=cast.a.users["p1_user"])
    assert payable.payee_user_id == cast.a.users["p1_user"].pk
    with pytest.raises(DomainError, match="not a member"):
        make_payable(cast.a, source_id="spif-2", payee_user=cast.a.users["p2_user"])


def test_a_partner_of_another_tenant_is_refused(cast, fake_source):  # noqa: F811
    with cast.a.context(), pytest.raises(DomainError, match="another tenant"):
        payable_create(
            source_type=fake_source,
            source_id="x",
            partner=cast.b.partners["p1"],
            amount=Decimal("1"),
            currency="USD",
            due_date=None,
        )
