"""Scorecard figures from point-of-sale data (registered with partners.kpis in PosdataConfig.ready)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from partners.models import Kpi
from posdata.selectors import daily_sales
from prm.finance.rates import converted_sums
from prm.tenancy.context import require_tenant


def revenue_by_partner(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """Net POS revenue (sales minus returns) by invoice date in the period, in the tenant's base
    currency: lines in other currencies are converted at their invoice date's rate (one query;
    one rate look-up per currency and day), from the daily rollup. A missing rate stops the scorecard with a message
    naming the pair and the date rather than leaving those sales out."""
    sums = converted_sums(
        daily_sales(list(partner_ids), start, end),
        amount="amount",
        currency="currency",
        day="day",
        target=require_tenant().base_currency,
        keys={"partner": "partner_id"},
    )
    sums.require_complete()
    return {key[0]: {Kpi.REVENUE_12M: sums.converted(key)} for key in sums.groups}
