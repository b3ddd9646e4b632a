"""POS reports (within the member's partner scope): sell-through % per partner, SKU and month
from inventory activity, the period compared with the one before, slow movers, and every table of
the Sell-through and Inventory pages as a ``prm.reports.Report`` for CSV/XLSX export.

Each figure is grouped in the database (these tables hold millions of rows); Python only shapes
the grouped rows. The definitions used are stated on the pages (and named here once)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import CharField, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.selectors import partners_for_membership
from posdata.models import InventoryRollup
from posdata.selectors import (
    SalesFilter,
    daily_sales_for_membership,
    filtered,
    pos_lines_for_membership,
    pos_rollups_for_membership,
)
from prm.accounts.models import Membership
from prm.finance.rates import ConvertedSums, converted_sums
from prm.lib.money import Money, format_amount_str
from prm.reports import Report

SELL_THROUGH_DEFINITION = gettext_lazy(
    "sell-through % = units sold / units received in the period, both as the partner reported them in its "
    "inventory files (EDI 852 activity: sold, received), summed over the snapshots dated in the month or period"
)
SLOW_MOVER_DEFINITION = gettext_lazy(
    "slow mover = weeks of supply above the overstock threshold (or stock without any sales) and net units sold "
    "in the trailing 13 weeks below those of the 13 weeks before"
)
COMPARISON_DEFINITION = gettext_lazy(
    "the period compared with the same number of months just before it; revenue in the dashboard currency, "
    "lines in other currencies converted at their invoice date's rate"
)
CURRENT, PREVIOUS = "current", "previous"


def percent(part: int | Decimal | None, whole: int | Decimal | None) -> Decimal | None:
    """``part`` of ``whole`` in per cent with one decimal, or None without a whole."""
    if not whole or part is None:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def change_pct(current: int | Decimal | None, previous: int | Decimal | None) -> Decimal | None:
    """The change from ``previous`` to ``current`` in per cent (None without a previous figure)."""
    if not previous or current is None:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / abs(Decimal(previous))).quantize(Decimal("0.1"))


def _activity(membership: Membership, f: SalesFilter, start: datetime.date) -> QuerySet[InventoryRollup]:
    """The inventory rollup of the filter's months from ``start``'s month."""
    qs = InventoryRollup.objects.filter(
        partner__in=partners_for_membership(membership), month__range=(start.replace(day=1), f.date_to)
    )
    return filtered(qs, f)


# --- Sell-through % per partner, SKU and month ------------------------------------------------------


def sell_through_rows(membership: Membership, f: SalesFilter) -> QuerySet:
    """Units received and sold (inventory activity) per partner, SKU and month of the period,
    ordered by partner, SKU and month: one grouped query (paginate it, or read it for export)."""
    return (
        _activity(membership, f, f.date_from)
        .values("partner__code", "partner__name", "product__sku", "product__name", "month")
        .annotate(received=Sum("received"), sold=Sum("sold"))
        .order_by("partner__code", "product__sku", "month")
    )


def with_rate(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(row, rate=percent(row["sold"], row["received"])) for row in rows]


SELL_THROUGH_HEADERS = [
    gettext_lazy("Partner"),
    gettext_lazy("Partner name"),
    gettext_lazy("SKU"),
    gettext_lazy("Product"),
    gettext_lazy("Month"),
    gettext_lazy("Units received"),
    gettext_lazy("Units sold"),
    gettext_lazy("Sell-through %"),
]


def sell_through_report(membership: Membership, f: SalesFilter) -> Report:
    rows = [
        [
            r["partner__code"],
            r["partner__name"],
            r["product__sku"],
            r["product__name"],
            r["month"].strftime("%Y-%m"),
            r["received"],
            r["sold"],
            r["rate"],
        ]
        for r in with_rate(sell_through_rows(membership, f).iterator(chunk_size=5000))
    ]
    return Report(
        "sell_through", _("Sell-through % by partner, SKU and month"), _headers(SELL_THROUGH_HEADERS), rows
    )


def sell_through_total(membership: Membership, f: SalesFilter) -> dict[str, Any]:
    """The period's units received and sold and its sell-through % (all rows of the filter)."""
    totals = _activity(membership, f, f.date_from).aggregate(received=Sum("received"), sold=Sum("sold"))
    return dict(totals, rate=percent(totals["sold"], totals["received"]))


# --- The period compared with the one before ---------------------------------------------------------


def previous_period(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The same number of whole months that ends the day before ``start`` (the page's periods
    are whole months)."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    previous_end = start - datetime.timedelta(days=1)
    index = previous_end.year * 12 + previous_end.month - months  # zero-based month count
    return datetime.date(index // 12, index % 12 + 1, 1), previous_end


def _period(field: str, start: datetime.date) -> SqlCase:
    return SqlCase(
        When(**{f"{field}__gte": start}, then=Value(CURRENT)),
        default=Value(PREVIOUS),
        output_field=CharField(),
    )


def _revenue_source(membership: Membership, f: SalesFilter, start: datetime.date) -> tuple[QuerySet, str]:
    """What the comparison's revenue sums, with its day field: the daily rollup (per partner, day
    and currency); with a category or SKU filter, which it cannot tell apart, the lines."""
    if f.category or f.sku:
        lines = pos_lines_for_membership(membership).filter(invoice_date__range=(start, f.date_to))
        return filtered(lines, f), "invoice_date"
    daily = daily_sales_for_membership(membership).filter(day__range=(start, f.date_to))
    return filtered(daily, f, products=False), "day"


def _money_text(totals: list[Money]) -> str:
    return " · ".join(f"{format_amount_str(m.amount, m.currency)} {m.currency}" for m in totals)


def period_comparison(membership: Membership, f: SalesFilter, currency: str) -> dict[str, Any]:
    """Per partner and in total, this period against the one before: revenue (converted into
    ``currency``; per currency when a rate is missing), net units and sell-through %, with the
    changes. Four grouped queries over the rollups whatever the number of lines (with a category
    or SKU filter the revenue sums the lines of the two periods)."""
    prev_start, prev_end = previous_period(f.date_from, f.date_to)
    source, day = _revenue_source(membership, f, prev_start)
    revenue: ConvertedSums = converted_sums(
        source,
        amount="amount",
        currency="currency",
        day=day,
        target=currency,
        keys={"partner": "partner_id", "period": _period(day, f.date_from)},
    )
    rollup = filtered(pos_rollups_for_membership(membership).filter(month__range=(prev_start, f.date_to)), f)
    units = {
        (row["partner_id"], row["period"]): row["units"]
        for row in rollup.order_by()
        .annotate(period=_period("month", f.date_from.replace(day=1)))
        .values("partner_id", "period")
        .annotate(units=Sum("quantity"))
    }
    activity = {
        (row["partner_id"], row["period"]): row
        for row in _activity(membership, f, prev_start)
        .order_by()
        .annotate(period=_period("month", f.date_from.replace(day=1)))
        .values("partner_id", "period")
        .annotate(received=Sum("received"), sold=Sum("sold"), n=Sum("snapshots"))
    }
    ids = {key[0] for key in revenue.groups} | {key[0] for key in units} | {key[0] for key in activity}
    partners = (
        partners_for_membership(membership).filter(pk__in=ids).order_by("code").values("pk", "code", "name")
    )
    rows = [_comparison_row(p, revenue, units, activity) for p in partners]
    return {
        "start": f.date_from,
        "end": f.date_to,
        "previous_start": prev_start,
        "previous_end": prev_end,
        "converted": revenue.complete,
        "rows": rows,
        "total": _comparison_total(rows, revenue, currency),
    }


def _side(revenue: ConvertedSums, key: tuple) -> list[Money]:
    return revenue.totals(key) if key in revenue.groups else []


def _comparison_row(
    partner: Mapping[str, Any], revenue: ConvertedSums, units: dict, activity: dict
) -> dict[str, Any]:
    pk = partner["pk"]
    now_rev, before_rev = _side(revenue, (pk, CURRENT)), _side(revenue, (pk, PREVIOUS))
    now_act, before_act = activity.get((pk, CURRENT), {}), activity.get((pk, PREVIOUS), {})
    now_rate = percent(now_act.get("sold"), now_act.get("received"))
    before_rate = percent(before_act.get("sold"), before_act.get("received"))
    return {
        "code": partner["code"],
        "name": partner["name"],
        "revenue": now_rev,
        "revenue_before": before_rev,
        "revenue_change": _revenue_change(revenue, now_rev, before_rev),
        "units": units.get((pk, CURRENT)) or 0,
        "units_before": units.get((pk, PREVIOUS)) or 0,
        "units_change": change_pct(units.get((pk, CURRENT)) or 0, units.get((pk, PREVIOUS))),
        "rate": now_rate,
        "rate_before": before_rate,
        "rate_change": (now_rate - before_rate) if now_rate is not None and before_rate is not None else None,
    }


def _revenue_change(revenue: ConvertedSums, now: list[Money], before: list[Money]) -> Decimal | None:
    """Only between two converted totals: amounts of several currencies have no one change."""
    if not revenue.complete or len(now) > 1 or len(before) != 1:
        return None
    return change_pct(now[0].amount if now else Decimal("0"), before[0].amount)


def _comparison_total(rows: list[dict[str, Any]], revenue: ConvertedSums, currency: str) -> dict[str, Any]:
    def both(period: str) -> list[Money]:
        keys = [key for key in revenue.groups if key[1] == period]
        if not keys:
            return []
        if revenue.complete:
            return [Money(sum((revenue.converted(k) for k in keys), Decimal("0")), currency)]
        sums: dict[str, Decimal] = {}
        for key in keys:
            for code, amount in revenue.by_currency(key).items():
                sums[code] = sums.get(code, Decimal("0")) + amount
        return [Money(amount, code) for code, amount in sorted(sums.items())]

    now, before = both(CURRENT), both(PREVIOUS)
    units = sum(r["units"] for r in rows)
    units_before = sum(r["units_before"] for r in rows)
    return {
        "revenue": now,
        "revenue_before": before,
        "revenue_change": _revenue_change(revenue, now, before),
        "units": units,
        "units_before": units_before,
        "units_change": change_pct(units, units_before),
    }


def comparison_report(comparison: dict[str, Any]) -> Report:
    headers = [
        _("Partner"),
        _("Partner name"),
        _("Revenue"),
        _("Revenue, previous period"),
        _("Revenue change %"),
        _("Net units"),
        _("Net units, previous period"),
        _("Net units change %"),
        _("Sell-through %"),
        _("Sell-through %, previous period"),
        _("Sell-through change (points)"),
    ]
    rows = [
        [
            r["code"],
            r["name"],
            _money_text(r["revenue"]),
            _money_text(r["revenue_before"]),
            r["revenue_change"],
            r["units"],
            r["units_before"],
            r["units_change"],
            r["rate"],
            r["rate_before"],
            r["rate_change"],
        ]
        for r in comparison["rows"]
    ]
    return Report("comparison", _("This period and the one before"), headers, rows)


# --- The dashboard's other tables, as reports ------------------------------------------------------

DASHBOARD_TABLES = ("by_month", "by_partner", "by_category", "by_region", "top_products")


def dashboard_reports(stats: dict[str, Any], currency: str) -> dict[str, Report]:
    """The Sell-through page's tables (revenue in ``currency``: lines in other currencies count in
    units only, as the page says) as reports, keyed by name."""

    def money(value: Decimal | None) -> str:
        return format_amount_str(value or Decimal("0"), currency)

    revenue = _("Revenue (%(currency)s)") % {"currency": currency}
    return {
        "by_month": Report(
            "by_month",
            _("Revenue and units by month"),
            [_("Month"), revenue, _("Net units")],
            [[r["month"].strftime("%Y-%m"), money(r["revenue"]), r["units"] or 0] for r in stats["by_month"]],
        ),
        "by_partner": Report(
            "by_partner",
            _("Top partners"),
            [_("Partner"), _("Partner name"), revenue, _("Net units")],
            [
                [r["partner__code"], r["partner__name"], money(r["revenue"]), r["units"] or 0]
                for r in stats["by_partner"]
            ],
        ),
        "by_category": Report(
            "by_category",
            _("Revenue by category"),
            [_("Category"), revenue, _("Net units")],
            [[r["product__category"], money(r["revenue"]), r["units"] or 0] for r in stats["by_category"]],
        ),
        "by_region": Report(
            "by_region",
            _("Revenue by region"),
            [_("Region"), revenue, _("Net units")],
            [[r["partner__region"], money(r["revenue"]), r["units"] or 0] for r in stats["by_region"]],
        ),
        "top_products": Report(
            "top_products",
            _("Top products"),
            [_("SKU"), _("Product"), revenue, _("Net units")],
            [
                [r["product__sku"], r["product__name"], money(r["revenue"]), r["units"] or 0]
                for r in stats["top_products"]
            ],
        ),
    }


# --- Inventory ----------------------------------------------------------------------------------------


INVENTORY_HEADERS = [
    gettext_lazy("Partner"),
    gettext_lazy("SKU"),
    gettext_lazy("Product"),
    gettext_lazy("As of"),
    gettext_lazy("On hand"),
    gettext_lazy("On order"),
    gettext_lazy("In transit"),
    gettext_lazy("Avg weekly sold"),
    gettext_lazy("Weeks of supply"),
    gettext_lazy("Stock-out threshold (weeks)"),
    gettext_lazy("Status"),
    gettext_lazy("Net units sold, trailing 13 weeks"),
    gettext_lazy("Net units sold, 13 weeks before"),
]


def inventory_report(name: str, title: str, positions: list[dict[str, Any]]) -> Report:
    rows = [
        [
            p["partner_code"],
            p["sku"],
            p["name"],
            p["date"],
            p["on_hand"],
            p["on_order"],
            p["in_transit"],
            p["weekly_sold"],
            p["weeks_of_supply"],
            p["threshold"],
            p["status"],
            p["sold"],
            p["sold_before"],
        ]
        for p in positions
    ]
    return Report(name, title, _headers(INVENTORY_HEADERS), rows)


def slow_movers(positions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in positions if p["slow"]]


def _headers(headers: list) -> list[str]:
    return [str(h) for h in headers]
