"""POS revenue feeds the partner scorecard: net of returns, by invoice date, in the base currency."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from partners.kpis import kpi_values
from tests.posdata.helpers import catalog, load, write  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_scorecard_revenue_is_net_pos_revenue_of_the_period(cast, catalog, tmp_path):  # noqa: F811
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
    # 10 x 100 - 2 x 100; the EUR line is not added to USD; the 2025 sale is outside the period.
    assert values[p1]["revenue_12m"] == Decimal("800.00")
    assert values[p2]["revenue_12m"] == Decimal("0")
