"""The demo's sales history is shaped like real sell-out (growth and a season), so the forecast
page of a fresh `make run` shows the model where it finds that pattern, not the baseline only."""

from __future__ import annotations

import csv
import datetime
import random
from collections import defaultdict
from decimal import Decimal

from insights.forecasting import forecast_series
from posdata.seed import write_demo_pos_file
from prm.lib.periods import add_months

PRODUCTS = [("GX-1", Decimal("100.00"), 1), ("GX-2", Decimal("40.00"), 6), ("VX-9", Decimal("250.00"), 1)]


def test_the_demo_history_grows_and_the_forecast_finds_it(tmp_path):
    end = datetime.date(2026, 11, 30)
    path = tmp_path / "pos.csv"
    write_demo_pos_file(
        path,
        products=PRODUCTS,
        partner_code="D100",
        style="partner_sku",
        lines=20_000,
        end=end,
        rng=random.Random(1),
    )
    revenue: dict[datetime.date, Decimal] = defaultdict(Decimal)
    with path.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            try:
                day = datetime.date.fromisoformat(row["Invoice Date"])
            except ValueError:
                continue  # the demo's deliberate bad dates
            revenue[day.replace(day=1)] += Decimal(row["Ext Price"])
    months = [add_months(end.replace(day=1), -n) for n in range(11, 0, -1)]  # complete months
    history = [float(revenue[m]) for m in months]
    assert history[-1] > 1.3 * history[0]  # it grew over the year
    assert forecast_series(history).method == "model"
