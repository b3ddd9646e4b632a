"""Issue #16 points the other batch tests did not pin down: the review shows each partner's
totals per original currency (and converted), and approval freezes the batch (later rates and
payables change nothing in it; a second approval is refused)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from prm.finance.batches import payout_batch_approve, payout_batch_create
from prm.finance.models import FxRate, Payable, PayoutBatchLine, PayoutPayment
from prm.workflow import InvalidTransition
from tests.prm.finance_helpers import fake_source, make_payable, payout_details, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(cast, fake_source):  # noqa: F811
    """P1 is owed 100 USD and 200 EUR (less a 50 EUR clawback); EUR/USD 1.10."""
    payout_details(cast.a, "p1")
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.10"),
            source="ECB",
        )
    make_payable(cast.a, source_id="US", amount="100.00")
    make_payable(cast.a, source_id="EU", amount="200.00", currency="EUR")
    make_payable(cast.a, source_id="CL", amount="-50.00", currency="EUR")
    with time_machine.travel(datetime.datetime(2026, 2, 1, 12, tzinfo=datetime.UTC)), cast.a.context():
        return payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")


def test_the_review_totals_each_partner_per_original_currency_and_converted(cast, mixed):
    html = cast.a.client("finance").get(f"/finance/batches/{mixed.pk}/").content.decode()
    assert "€150.00" in html and "$165.00" in html  # 200 - 50 EUR, converted at 1.10
    assert "$100.00" in html and "$265.00" in html  # the USD line, and the partner's net


def test_approval_freezes_the_batch(cast, mixed, fake_source):  # noqa: F811
    with time_machine.travel(datetime.datetime(2026, 2, 2, 12, tzinfo=datetime.UTC)), cast.a.context():
        approved = payout_batch_approve(batch=mixed, acting_membership=second_finance(cast.a))
        frozen = list(
            PayoutBatchLine.objects.filter(batch=approved).values_list("payable_id", "payment_amount", "rate")
        )
        net = PayoutPayment.objects.get(batch=approved).amount
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 2, 2),
            rate=Decimal("1.50"),
            source="ECB",
        )
    late, _created = make_payable(cast.a, source_id="LATE", amount="999.00")
    with cast.a.context():
        assert (
            list(
                PayoutBatchLine.objects.filter(batch=approved).values_list(
                    "payable_id", "payment_amount", "rate"
                )
            )
            == frozen
        )
        assert PayoutPayment.objects.get(batch=approved).amount == net == Decimal("265.00")
        assert Payable.objects.get(pk=late.pk).status == Payable.Status.OPEN
        with pytest.raises(InvalidTransition):
            payout_batch_approve(batch=approved, acting_membership=second_finance(cast.a))
