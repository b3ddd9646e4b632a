"""POS revenue feeds the partner scorecard: net of returns, by invoice date, in the base currency,
lines in other currencies converted at their invoice date's rate (never left out, never added
unconverted)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from partners.kpis import kpi_values
from partners.models import Kpi
from prm.finance.models import FxRate
from prm.finance.rates import MissingRate
from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db


def _rate(side, base, quote, day, rate):
    with side.context():
        FxRate.objects.create(
            base_currency=base, quote_currency=quote, rate_date=day, rate=Decimal(rate), source="ECB"
        )


def test_scorecard_revenue_is_net_pos_revenue_of_the_period_converted_into_the_base_currency(
    cast, catalog, tmp_path
):
    _rate(cast.a, "EUR", "USD", datetime.date(2026, 3, 1), "1.10")
    _rate(cast.a, "EUR", "USD", datetime.date(2026, 3, 6), "1.20")
    path = write(
        tmp_path,
        "invoice_number,invoice_date,sku,quantity,unit_price,currency\n"
        "A-1,2026-03-02,PMP-100,10,100.00,USD\n"
        "A-2,2026-03-05,PMP-100,-2,100.00,USD\n"
        "A-3,2026-03-06,PMP-100,1,999.00,EUR\n"
        "A-4,2025-01-06,PMP-100,5,100.00,USD\n",
    )
    _upload, result = load(cast.a, "p1", path)
    assert result["rows_loaded"] == 4
    p1, p2 = cast.a.partners["p1"].pk, cast.a.partners["p2"].pk
    with cast.a.context():
        values = kpi_values([p1, p2], datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    # 10 x 100 - 2 x 100 + 999 EUR x 1.20 (its invoice date's rate); the 2025 sale is outside the period.
    assert values[p1][Kpi.REVENUE_12M] == Decimal("1998.80")
    assert values[p2][Kpi.REVENUE_12M] == Decimal("0")


def test_a_line_without_a_rate_stops_the_scorecard_naming_the_pair_and_date(cast, catalog, tmp_path):
    # A file in one currency loads without a rate (its total is in its own currency).
    path = write(
        tmp_path,
        "invoice_number,invoice_date,sku,quantity,unit_price,currency\nE-1,2026-04-07,PMP-100,2,50,EUR\n",
    )
    _upload, result = load(cast.a, "p1", path)
    assert result["rows_loaded"] == 1 and result["amount_total"] == "100.00"
    with cast.a.context(), pytest.raises(MissingRate, match=r"EUR to USD .* 2026-04-07"):
        kpi_values([cast.a.partners["p1"].pk], datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
