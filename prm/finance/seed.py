"""Demo exchange rates (a seed step): monthly USD, EUR, GBP and JPY rates from the tenant's base
currency, so that demo amounts in other currencies convert on the dashboards."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

from prm.finance.models import FxRate

# Units of each currency per US dollar, around which the demo rates drift month by month.
PER_USD = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79"), "JPY": Decimal("151.30")}
MONTHS = 26
SOURCE = "demo"


def _months_back(today: datetime.date, count: int) -> list[datetime.date]:
    first = today.replace(day=1)
    days = []
    for back in range(count, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        days.append(datetime.date(year, month + 1, 1))
    return days


def demo_rates(base: str, today: datetime.date) -> list[tuple[str, datetime.date, Decimal]]:
    """(quote currency, date, rate) from ``base``: deterministic, a few percent of drift."""
    rows = []
    for index, day in enumerate(_months_back(today, MONTHS)):
        drift = Decimal(str(round(1 + 0.03 * math.sin(index / 4), 6)))
        for quote, per_usd in PER_USD.items():
            if quote == base:
                continue
            rate = per_usd / PER_USD[base] * (drift if quote != "USD" else 1 / drift)
            rows.append((quote, day, rate.quantize(Decimal("0.000001"))))
    return rows


def seed_fx_rates(tenant, stdout=None) -> None:
    if tenant.base_currency not in PER_USD:
        return
    rows = [
        FxRate(
            tenant=tenant,
            base_currency=tenant.base_currency,
            quote_currency=quote,
            rate_date=day,
            rate=rate,
            source=SOURCE,
        )
        for quote, day, rate in demo_rates(tenant.base_currency, datetime.date.today())
    ]
    FxRate.objects.bulk_create(rows, ignore_conflicts=True)
