"""Scorecard figures from point-of-sale data (registered with partners.kpis in PosdataConfig.ready)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from posdata.models import PosLine
from prm.tenancy.context import require_tenant


def revenue_by_partner(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """Net POS revenue (sales minus returns) by invoice date in the period, one query.

    Only lines in the tenant's base currency count: amounts in other currencies are not added
    to it without a stored exchange rate.
    """
    rows = (
        PosLine.objects.filter(
            partner_id__in=partner_ids,
            invoice_date__range=(start, end),
            currency=require_tenant().base_currency,
        )
        .values("partner_id")
        .annotate(revenue=Sum("amount"))
    )
    return {row["partner_id"]: {"revenue_12m": row["revenue"] or Decimal("0")} for row in rows}
