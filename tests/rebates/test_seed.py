"""The demo seed step: a program of each method calculated, one closed and approved period, and a
late return clawed back by the next close; seeded once."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from deals.models import DealRegistration
from prm.finance.models import Payable
from prm.lib.periods import quarter
from rebates.models import CalculationRun, RebateProgram, Settlement
from rebates.seed import seed_rebates
from tests.rebates.helpers import pos, product

pytestmark = pytest.mark.django_db


def test_seed_makes_every_method_a_closed_period_and_a_clawback_once(cast):
    today = datetime.date.today()
    last_q = quarter(today, 1)
    with cast.a.context():
        product("PMP-200")
        product("VLV-010", "valves")
        product("CTL-500", "controls")
        for key, scale in (("p1", 3), ("p2", 1)):
            partner = cast.a.partners[key]
            pos(
                partner,
                [
                    (last_q[0] + datetime.timedelta(days=d), scale * 4, f"{scale * 40000}", "USD", "PMP-100")
                    for d in (5, 30, 60)
                ],
            )
            pos(partner, [(quarter(today, 2)[0] + datetime.timedelta(days=10), 2, "50000")])
            pos(
                partner,
                [
                    (today.replace(day=1), 10 * scale, "1855", "USD", "VLV-010"),
                    (today.replace(day=1), 3, "2280", "USD", "CTL-500"),
                ],
            )
        DealRegistration.objects.create(
            partner=cast.a.partners["p1"],
            status="won",
            currency="USD",
            value=Decimal("25000"),
            closed_value=Decimal("25000"),
            closed_on=today.replace(day=1),
            customer_name="C",
            owner=cast.a.users["p1_user"],
        )
        seed_rebates(cast.a.tenant)
        methods = set(RebateProgram.objects.values_list("method", flat=True))
        runs = set(CalculationRun.objects.values_list("status", flat=True))
        settlements = list(Settlement.objects.order_by("id").values_list("status", flat=True))
        amounts = list(
            Payable.objects.filter(source_type="rebate").order_by("id").values_list("amount", flat=True)
        )
        counts = (RebateProgram.objects.count(), CalculationRun.objects.count())
        seed_rebates(cast.a.tenant)
        again = (RebateProgram.objects.count(), CalculationRun.objects.count())
    assert methods == {"retroactive", "incremental", "flat", "growth", "per_unit"}
    assert runs == {"succeeded"} and counts[0] == 6
    assert settlements == ["approved", "approved"]
    assert amounts[0] > 0 and any(a < 0 for a in amounts), amounts
    assert again == counts
