"""The scorecard's rebates-earned KPI (registered with partners.kpis in RebatesConfig.ready)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import DateField, Value
from django.db.models.functions import Least
from django.utils import timezone

from partners.models import Kpi
from prm.finance.rates import converted_sums
from prm.tenancy.context import require_tenant
from rebates.models import Accrual, RebateProgram
from rebates.selectors import latest_run_ids


def rebates_earned(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """What each partner (with its reps' SPIFs) earned in rebates and SPIFs, per the latest run of
    every program, in the tenant's base currency.

    A program's earnings count in the period its own period ends in, or, while it is still
    running, in the period that holds today: a rebate's tiers apply to the whole program period,
    so its amount cannot be split by day, and counting it once keeps the scorecard's trend (this
    period against the one before) from counting a program twice. Other currencies are
    converted at that day's rate; a missing rate stops the scorecard naming the pair and day."""
    today = timezone.localdate()
    counted_on = Least("program__end_date", Value(today, output_field=DateField()))
    accruals = (
        Accrual.objects.filter(partner_id__in=list(partner_ids), run_id__in=latest_run_ids())
        .exclude(program__status=RebateProgram.Status.DRAFT)
        .annotate(counted_on=counted_on)
        .filter(counted_on__range=(start, end))
    )
    sums = converted_sums(
        accruals,
        amount="earned",
        currency="currency",
        day="counted_on",
        target=require_tenant().base_currency,
        keys={"partner": "partner_id"},
    )
    sums.require_complete()
    return {key[0]: {Kpi.REBATES_EARNED: sums.converted(key)} for key in sums.groups}
