"""Reads of POS data, always scoped by the member's partners (partners_for_membership)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from partners.selectors import partners_for_membership
from posdata.models import InventorySnapshot, PosDailyRollup, PosLine, PosRollup, RejectedRow, SkuXref, Upload
from prm.accounts.models import Membership
from prm.catalog.models import Product

WEEKS_OF_SUPPLY_DEFINITION = _(
    "weeks of supply = on hand / average weekly net units sold (POS) over the trailing 13 weeks up to the "
    "snapshot date"
)
TRAILING_WEEKS = 13
# The inventory page's default thresholds (weeks of supply).
STOCKOUT_RISK_WEEKS = Decimal("4")
OVERSTOCK_WEEKS = Decimal("26")


def uploads_for_membership(membership: Membership) -> QuerySet[Upload]:
    return Upload.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "partner", "created_by", "job"
    )


def get_upload_for_membership_or_404(membership: Membership, pk: int) -> Upload:
    return get_object_or_404(uploads_for_membership(membership), pk=pk)


def pos_lines_for_membership(membership: Membership) -> QuerySet[PosLine]:
    return PosLine.objects.filter(partner__in=partners_for_membership(membership))


def exception_queue_for_membership(membership: Membership) -> QuerySet:
    """Open unknown-product rows grouped by partner and code, with line counts."""
    return (
        RejectedRow.objects.filter(
            partner__in=partners_for_membership(membership), unknown_product=True, resolution=""
        )
        .values("partner_id", "partner__code", "partner__name", "product_key")
        .annotate(lines=Count("id"), uploads=Count("upload_id", distinct=True))
        .order_by("-lines", "partner__code", "product_key")
    )


def sku_xrefs_for_membership(membership: Membership) -> QuerySet[SkuXref]:
    return SkuXref.objects.filter(partner__in=partners_for_membership(membership)).select_related(
        "partner", "product"
    )


@dataclass
class SalesFilter:
    """The Sell-through page's filter. Its dates are read as whole months: ``date_from``'s month
    up to ``date_to`` (the page's form gives first and last days of months)."""

    date_from: datetime.date
    date_to: datetime.date
    partner_id: int | None = None
    category: str = ""
    region: str = ""
    sku: str = ""


def filtered(qs: QuerySet, f: SalesFilter, *, products: bool = True) -> QuerySet:
    """``qs`` (lines, rollups or snapshots: anything with partner and product) narrowed by the
    filter's partner, region and, with ``products``, category and SKU."""
    if f.partner_id:
        qs = qs.filter(partner_id=f.partner_id)
    if f.region:
        qs = qs.filter(partner__region=f.region)
    if products and f.category:
        qs = qs.filter(product__category=f.category)
    if products and f.sku:
        qs = qs.filter(product__sku=f.sku)
    return qs


def pos_rollups_for_membership(membership: Membership) -> QuerySet[PosRollup]:
    return PosRollup.objects.filter(partner__in=partners_for_membership(membership))


def daily_sales_for_membership(membership: Membership) -> QuerySet[PosDailyRollup]:
    return PosDailyRollup.objects.filter(partner__in=partners_for_membership(membership))


def _filtered_rollups(membership: Membership, f: SalesFilter) -> QuerySet[PosRollup]:
    months = (f.date_from.replace(day=1), f.date_to)
    return filtered(pos_rollups_for_membership(membership).filter(month__range=months), f)


def sell_through(membership: Membership, f: SalesFilter, currency: str) -> dict[str, Any]:
    """Revenue (in ``currency``; lines in other currencies count in units only) and units by
    month, partner, category and region; top products and partners; returns rate. Read from the
    monthly rollup: seven grouped queries whose cost follows partners x products x months, not
    the number of lines."""
    qs = _filtered_rollups(membership, f)
    revenue = Sum("amount", filter=Q(currency=currency))
    units = Sum("quantity")
    totals = qs.aggregate(
        revenue=revenue,
        units=units,
        sold=Sum("sold_units"),
        returned=Sum("returned_units"),
        lines=Sum("lines"),
    )
    by_month = list(qs.values("month").annotate(revenue=revenue, units=units).order_by("month"))
    by_partner = list(
        qs.values("partner__code", "partner__name")
        .annotate(revenue=revenue, units=units)
        .order_by("-revenue", "partner__code")
    )
    by_category = list(
        qs.values("product__category")
        .annotate(revenue=revenue, units=units)
        .order_by("-revenue", "product__category")
    )
    by_region = list(
        qs.values("partner__region")
        .annotate(revenue=revenue, units=units)
        .order_by("-revenue", "partner__region")
    )
    top_products = list(
        qs.values("product__sku", "product__name")
        .annotate(revenue=revenue, units=units)
        .order_by("-revenue", "product__sku")[:10]
    )
    sold_units = int(totals["sold"] or 0)
    returned_units = int(totals["returned"] or 0)
    return {
        "revenue": totals["revenue"] or Decimal("0"),
        "units": int(totals["units"] or 0),
        "lines": int(totals["lines"] or 0),
        "sold_units": sold_units,
        "returned_units": returned_units,
        "returns_rate": (Decimal(returned_units) / Decimal(sold_units) * 100).quantize(Decimal("0.1"))
        if sold_units
        else None,
        "by_month": by_month,
        "by_partner": by_partner,
        "top_partners": by_partner[:10],
        "by_category": by_category,
        "by_region": by_region,
        "top_products": top_products,
        "other_currencies": qs.exclude(currency=currency).exists(),
    }


def monthly_sales(
    tenant, partner_ids: list[int], start: datetime.date, end: datetime.date
) -> list[dict[str, Any]]:
    """POS sales per partner, product, month and currency from ``start``'s month to ``end``
    (whole months), from the monthly rollup: net units, units sold and returned, amount, lines.
    For forecasts and benchmarks; one query whatever the number of lines."""
    rows = (
        PosRollup.objects.filter(
            tenant=tenant, partner_id__in=list(partner_ids), month__range=(start.replace(day=1), end)
        )
        .values("partner_id", "product_id", "month", "currency")
        .annotate(
            quantity=Sum("quantity"),
            sold_units=Sum("sold_units"),
            returned_units=Sum("returned_units"),
            amount=Sum("amount"),
            lines=Sum("lines"),
        )
        .order_by("partner_id", "product_id", "month", "currency")
    )
    return [dict(row) for row in rows]


def daily_sales(partner_ids: list[int], start: datetime.date, end: datetime.date) -> QuerySet[PosDailyRollup]:
    """The current tenant's POS sales per partner, invoice date and currency in ``start``..``end``
    (the daily rollup): the source of sums converted at the invoice date's rate."""
    return PosDailyRollup.objects.filter(partner_id__in=list(partner_ids), day__range=(start, end))


def filter_choices(membership: Membership) -> dict[str, list]:
    partners = partners_for_membership(membership)
    return {
        "partners": list(partners.values_list("pk", "code", "name")),
        "regions": sorted({r for r in partners.values_list("region", flat=True) if r}),
        "categories": list(
            Product.objects.order_by("category").values_list("category", flat=True).distinct()
        ),
    }


def _partner_ids(membership: Membership, partner_id: int | None) -> list[int]:
    ids = list(partners_for_membership(membership).values_list("pk", flat=True))
    if partner_id:
        ids = [i for i in ids if i == partner_id]
    return ids


def inventory_positions(
    membership: Membership, *, partner_id: int | None = None, low: Decimal | None = None, high: Decimal
) -> list[dict[str, Any]]:
    """Latest snapshot per partner and product with weeks of supply (DOMAIN definition) and a
    status: stock-out risk (below ``low`` weeks, or, without ``low``, below the partner's own
    stock-out threshold), out of stock, overstock (above ``high``), else healthy. ``slow``: a slow
    mover, i.e. overstocked with net units sold in the trailing 13 weeks below the 13 weeks before."""
    ids = _partner_ids(membership, partner_id)
    if not ids:
        return []
    window = TRAILING_WEEKS * 7
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH latest AS MATERIALIZED (
              SELECT DISTINCT ON (s.partner_id, s.product_id) s.tenant_id, s.partner_id, s.product_id,
                     s.snapshot_date, s.on_hand, s.on_order, s.in_transit
              FROM posdata_inventorysnapshot s
              WHERE s.tenant_id = %(tenant)s AND s.partner_id = ANY(%(ids)s)
              ORDER BY s.partner_id, s.product_id, s.snapshot_date DESC
            ),
            -- Each partner's lines are read once, over the span its products' windows cover, and
            -- summed per product in one grouped pass (not a look-up per partner and product).
            windows AS (
              SELECT partner_id, min(snapshot_date) - 2 * %(window)s AS lo, max(snapshot_date) AS hi
              FROM latest GROUP BY partner_id
            ),
            sales AS (
              SELECT l.partner_id, l.product_id,
                     sum(pl.quantity) FILTER (
                       WHERE pl.invoice_date > l.snapshot_date - %(window)s AND pl.invoice_date <= l.snapshot_date
                     ) AS sold,
                     sum(pl.quantity) FILTER (
                       WHERE pl.invoice_date > l.snapshot_date - 2 * %(window)s
                         AND pl.invoice_date <= l.snapshot_date - %(window)s
                     ) AS sold_before
              FROM windows w
              JOIN posdata_posline pl ON pl.tenant_id = %(tenant)s AND pl.partner_id = w.partner_id
                   AND pl.invoice_date > w.lo AND pl.invoice_date <= w.hi
              JOIN latest l ON l.partner_id = pl.partner_id AND l.product_id = pl.product_id
              GROUP BY l.partner_id, l.product_id
            )
            SELECT l.partner_id, pa.code, pa.name, l.product_id, p.sku, p.name, l.snapshot_date, l.on_hand,
                   l.on_order, l.in_transit, coalesce(sa.sold, 0), coalesce(sa.sold_before, 0),
                   coalesce(t.weeks, %(default_low)s) AS threshold
            FROM latest l
            JOIN partners_partner pa ON pa.tenant_id = l.tenant_id AND pa.id = l.partner_id
            JOIN prm_product p ON p.tenant_id = l.tenant_id AND p.id = l.product_id
            LEFT JOIN sales sa ON sa.partner_id = l.partner_id AND sa.product_id = l.product_id
            LEFT JOIN posdata_stockoutthreshold t ON t.tenant_id = l.tenant_id AND t.partner_id = l.partner_id
            ORDER BY pa.code, p.sku
            """,
            {
                "tenant": membership.tenant_id,
                "ids": ids,
                "window": window,
                "default_low": STOCKOUT_RISK_WEEKS,
            },
        )
        rows = cursor.fetchall()
    result = []
    for (
        partner_pk,
        code,
        pname,
        product_pk,
        sku,
        name,
        day,
        on_hand,
        on_order,
        in_transit,
        sold,
        sold_before,
        own,
    ) in rows:
        weekly = Decimal(sold) / TRAILING_WEEKS
        # Compared exactly (as the stock-out alert does), shown rounded.
        exact = Decimal(on_hand) * TRAILING_WEEKS / Decimal(sold) if sold > 0 else None
        wos = exact.quantize(Decimal("0.1")) if exact is not None else None
        threshold = low if low is not None else Decimal(own)
        if exact is None:
            status = "overstock" if on_hand > 0 else "stockout"
        elif exact < threshold:
            status = "risk"
        elif exact > high:
            status = "overstock"
        else:
            status = "healthy"
        result.append(
            {
                "partner_id": partner_pk,
                "partner_code": code,
                "partner_name": pname,
                "product_id": product_pk,
                "sku": sku,
                "name": name,
                "date": day,
                "on_hand": on_hand,
                "on_order": on_order,
                "in_transit": in_transit,
                "weekly_sold": weekly.quantize(Decimal("0.1")),
                "weeks_of_supply": wos,
                "threshold": threshold,
                "status": status,
                "sold": int(sold),
                "sold_before": int(sold_before),
                "slow": status == "overstock" and on_hand > 0 and sold < sold_before,
            }
        )
    return result


def inventory_history(membership: Membership, product_id: int, partner_id: int | None) -> dict[str, Any]:
    """Per snapshot date (summed over the visible partners): on hand, on order, in transit, and
    the units sold in the week up to that date."""
    ids = _partner_ids(membership, partner_id)
    snapshots = list(
        InventorySnapshot.objects.filter(partner_id__in=ids, product_id=product_id)
        .values("snapshot_date")
        .annotate(on_hand=Sum("on_hand"), on_order=Sum("on_order"), in_transit=Sum("in_transit"))
        .order_by("snapshot_date")
    )
    sold: dict[datetime.date, int] = {}
    if snapshots and ids:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT d.day, coalesce(sum(pl.quantity), 0)
                FROM unnest(%s::date[]) d(day)
                LEFT JOIN posdata_posline pl ON pl.tenant_id = %s AND pl.partner_id = ANY(%s)
                     AND pl.product_id = %s AND pl.invoice_date > d.day - 7 AND pl.invoice_date <= d.day
                GROUP BY d.day
                """,
                [[s["snapshot_date"] for s in snapshots], membership.tenant_id, ids, product_id],
            )
            sold = dict(cursor.fetchall())
    for s in snapshots:
        s["sold"] = sold.get(s["snapshot_date"], 0)
    return {"snapshots": snapshots}


def data_quality(membership: Membership, partner_id: int | None = None) -> list[dict[str, Any]]:
    """Per month of upload: files, rows read, rejected and the rejected share (trend)."""
    qs = uploads_for_membership(membership).filter(status=Upload.Status.LOADED)
    if partner_id:
        qs = qs.filter(partner_id=partner_id)
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in qs.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            files=Count("id"),
            read=Sum("rows_read"),
            rejected=Sum("rows_rejected"),
            duplicate=Sum("rows_duplicate"),
        )
        .order_by("month")
    ]
    for row in rows:
        read = int(row["read"] or 0)
        rejected = int(row["rejected"] or 0)
        row["rejected_pct"] = (Decimal(rejected) * 100 / read).quantize(Decimal("0.1")) if read else None
    return rows
