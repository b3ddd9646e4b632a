"""POS revenue per territory (the territory dashboard, ``partners.registries``): net sales of the
territory's member partners over the last 12 months by invoice date, in the base currency. One
grouped query over the daily POS rollup (converted at each invoice date's rate, as the lines
would be), summed per territory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import TerritoryPartner
from partners.registries import TerritoryMetric
from posdata.selectors import daily_sales
from prm.finance.rates import converted_sums
from prm.lib.money import format_amount_str, quantize_money

COLUMNS = (TerritoryMetric("pos_revenue", gettext_lazy("POS revenue, 12 months")),)


def territory_pos_revenue(territories: Sequence[Any], currency: str) -> dict[int, dict[str, Any]]:
    ids = [t.pk for t in territories]
    links = list(
        TerritoryPartner.objects.filter(territory_id__in=ids).values_list("territory_id", "partner_id")
    )
    partner_ids = {pid for _tid, pid in links}
    zero = f"{format_amount_str(Decimal('0'), currency)} {currency}"
    if not partner_ids:
        return {tid: {"pos_revenue": zero} for tid in ids}
    since = timezone.localdate() - timedelta(days=365)
    sums = converted_sums(
        daily_sales(sorted(partner_ids), since, timezone.localdate()),
        amount="amount",
        currency="currency",
        day="day",
        target=currency,
        keys={"partner": "partner_id"},
    )
    result: dict[int, dict[str, Any]] = {}
    if not sums.complete:
        return {tid: {"pos_revenue": _("exchange rate missing")} for tid in ids}
    totals: dict[int, Decimal] = {tid: Decimal("0") for tid in ids}
    for tid, pid in links:
        if (pid,) in sums.groups:
            totals[tid] += sums.converted((pid,))
    for tid, total in totals.items():
        result[tid] = {
            "pos_revenue": f"{format_amount_str(quantize_money(total, currency), currency)} {currency}"
        }
    return result
