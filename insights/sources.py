"""Where insights reads its figures from other apps. POS monthly sell-out is read through this one
function, from the monthly POS rollup (posdata keeps it in step with the lines), so forecasts and
benchmarks cost the same at ten million lines as at ten thousand."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from posdata.models import PosRollup
from prm.finance.rates import converted_sums
from prm.tenancy.models import Tenant

SeriesKey = tuple[int, str]  # (partner id, product category)


@dataclass
class MonthlySellOut:
    """Net sell-out (sales less returns) per partner, category and month, in ``currency``.
    ``missing_rates`` counts the currency groups left out because no exchange rate converts them
    (never added unconverted)."""

    currency: str
    series: dict[SeriesKey, dict[datetime.date, Decimal]] = field(default_factory=dict)
    missing_rates: int = 0

    def partner_totals(self, start: datetime.date, end: datetime.date) -> dict[int, Decimal]:
        """Each partner's sell-out over the months from ``start`` to ``end`` (inclusive)."""
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for (partner_id, _category), months in self.series.items():
            for month, amount in months.items():
                if start <= month <= end:
                    totals[partner_id] += amount
        return dict(totals)


def monthly_sell_out(
    tenant: Tenant,
    *,
    start: datetime.date,
    end: datetime.date,
    partner_ids: Iterable[int] | None = None,
) -> MonthlySellOut:
    """Monthly net sell-out of the tenant's POS lines in the months from ``start``'s to ``end``'s,
    per partner and product category, in the tenant's base currency: one grouped query over the
    monthly rollup, whatever the number of lines or partners. Each month's sum in another currency
    is converted at the rate in force on the month's first day (a forecast's input, not a payout:
    payouts convert line by line at the invoice date)."""
    qs = PosRollup.objects.filter(tenant=tenant, month__range=(start.replace(day=1), end))
    if partner_ids is not None:
        qs = qs.filter(partner_id__in=list(partner_ids))
    sums = converted_sums(
        qs,
        amount="amount",
        currency="currency",
        day="month",
        target=tenant.base_currency,
        keys={"partner": "partner_id", "category": "product__category", "month": "month"},
    )
    result = MonthlySellOut(currency=tenant.base_currency)
    for (partner_id, category, month), parts in sums.groups.items():
        if isinstance(month, datetime.datetime):
            month = month.date()
        for part in parts:
            if part.converted is None:
                result.missing_rates += 1
                continue
            months = result.series.setdefault((partner_id, category or ""), {})
            months[month] = months.get(month, Decimal("0")) + part.converted
    return result
