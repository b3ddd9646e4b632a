"""Statements: what a partner (or rep) earned in a program, how it is explained (tier, rate,
bands, caps, minimum, rounding), what was settled, the contributing source lines with their
converted amounts, and how to earn more ("X more reaches the next tier, worth Y more").

The next-tier figure re-applies the program's formula to the threshold in Python (a handful of
tiers, for one partner); the accruals themselves are computed in SQL (``rebates.calculation``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection

from prm.finance.rates import rate_lateral_sql
from prm.lib.money import minor_units
from prm.tenancy.context import require_tenant
from rebates.definition import Definition, Tier, definition_of
from rebates.models import Accrual, Method, ProgramVersion

_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN, "up": ROUND_CEILING}
ZERO = Decimal("0")


def round_total(amount: Decimal, currency: str, mode: str) -> Decimal:
    """The program's rounding of a period total (the same modes the SQL applies)."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=_MODES[mode])


def earned_for(d: Definition, counted: Decimal) -> Decimal:
    """What ``counted`` (measure after baseline and measure cap) earns under ``d``."""
    if counted <= 0:
        return ZERO
    if d.method == Method.INCREMENTAL:
        raw = sum(
            (
                ((min(counted, d.tiers[i + 1].start) if i + 1 < len(d.tiers) else counted) - t.start) * t.rate
                for i, t in enumerate(d.tiers)
                if t.start < counted
            ),
            start=ZERO,
        )
    else:
        reached = [t for t in d.tiers if t.start <= counted]
        raw = counted * reached[-1].rate if reached else ZERO
    if d.cap_payout is not None:
        raw = min(raw, d.cap_payout)
    if raw < d.minimum:
        raw = ZERO
    return round_total(raw, d.currency, d.rounding)


@dataclass
class NextTier:
    tier: Tier
    index: int
    more: Decimal  # measure still needed
    worth: Decimal  # additional earnings once reached


def next_tier(d: Definition, accrual: Accrual) -> NextTier | None:
    counted = Decimal(accrual.counted)
    for index, tier in enumerate(d.tiers):
        if tier.start > counted:
            if d.cap_measure is not None and tier.start > d.cap_measure:
                return None
            worth = earned_for(d, tier.start) - Decimal(accrual.earned)
            return NextTier(tier=tier, index=index, more=tier.start - counted, worth=max(worth, ZERO))
    return None


@dataclass
class Statement:
    accrual: Accrual
    definition: Definition
    next: NextTier | None
    tiers: list[dict[str, Any]]

    @property
    def quantity_basis(self) -> bool:
        return self.definition.counts_quantity


def statement_for(accrual: Accrual) -> Statement:
    version = ProgramVersion.objects.get(program_id=accrual.program_id, version=accrual.run.version)
    d = definition_of(version.definition)
    tiers = [
        {
            "index": i,
            "from": t.start,
            "to": d.tiers[i + 1].start if i + 1 < len(d.tiers) else None,
            "rate": t.rate,
            "reached": accrual.tier is not None and i <= accrual.tier,
            "current": accrual.tier == i,
        }
        for i, t in enumerate(d.tiers)
    ]
    return Statement(accrual=accrual, definition=d, next=next_tier(d, accrual), tiers=tiers)


# --- the contributing lines -------------------------------------------------------------------------

LINE_HEADERS = (
    "id",
    "invoice_number",
    "invoice_line",
    "invoice_date",
    "sku",
    "quantity",
    "amount",
    "currency",
    "rate",
    "converted",
)
DEAL_HEADERS = ("id", "customer", "closed_on", "value", "currency", "rate", "converted")


def source_lines_sql(accrual: Accrual, d: Definition) -> tuple[str, list[Any]]:
    """The accrual's source lines with the rate that converts each into the program currency (by
    the money core's rule) and the converted amount: the won deals it names, or the POS lines of
    its partner in the period and product scope up to the run's watermark -- exactly the lines the
    run counted, unless some were deleted since (a replaced period; ``source_check`` tells)."""
    tenant_id = require_tenant().pk
    target = accrual.currency
    if accrual.source == Accrual.Source.DEALS:
        lateral = rate_lateral_sql(
            currency="dr.currency", day="dr.closed_on", target=target, tenant_id=tenant_id
        )
        sql = f"""
          SELECT dr.id, dr.customer_name, dr.closed_on, coalesce(dr.closed_value, dr.value), dr.currency, fx.rate,
                 CASE WHEN dr.currency = '{target}' THEN coalesce(dr.closed_value, dr.value)
                      ELSE coalesce(dr.closed_value, dr.value) * fx.rate END
          FROM deals_dealregistration dr {lateral}
          WHERE dr.tenant_id = %s AND dr.id = ANY(%s)
          ORDER BY dr.closed_on, dr.id"""
        return sql, [tenant_id, accrual.source_ids]
    lateral = rate_lateral_sql(
        currency="l.currency", day="l.invoice_date", target=target, tenant_id=tenant_id
    )
    scope = ""
    params: list[Any] = [tenant_id, accrual.partner_id, d.start, min(d.end, accrual.run.as_of)]
    if accrual.run.pos_lines_to is not None:
        scope += " AND l.id <= %s"
        params.append(accrual.run.pos_lines_to)
    if d.skus or d.categories:
        scope += " AND (p.sku = ANY(%s) OR p.category = ANY(%s))"
        params += [list(d.skus), list(d.categories)]
    sql = f"""
      SELECT l.id, l.invoice_number, l.invoice_line, l.invoice_date, p.sku, l.quantity, l.amount, l.currency,
             fx.rate, CASE WHEN l.currency = '{target}' THEN l.amount ELSE l.amount * fx.rate END
      FROM posdata_posline l
      JOIN prm_product p ON p.tenant_id = l.tenant_id AND p.id = l.product_id
      {lateral}
      WHERE l.tenant_id = %s AND l.partner_id = %s AND l.invoice_date BETWEEN %s AND %s{scope}
      ORDER BY l.invoice_date, l.invoice_number, l.invoice_line, l.id"""
    return sql, params


def source_check(accrual: Accrual, d: Definition) -> tuple[int, Decimal]:
    """How many lines the drill-down finds today and their total (quantity or converted amount):
    equal to the accrual's unless lines were replaced or deleted since the run."""
    sql, params = source_lines_sql(accrual, d)
    value = "quantity" if d.counts_quantity and accrual.source == Accrual.Source.POS else "converted"
    if accrual.source == Accrual.Source.DEALS:
        value = "1" if d.counts_quantity else "converted"
        cols = "id, customer, closed_on, value, currency, rate, converted"
    else:
        cols = (
            "id, invoice_number, invoice_line, invoice_date, sku, quantity, amount, currency, rate, converted"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(sum({value}), 0) FROM ({sql}) AS s({cols})", params)
        count, total = cursor.fetchone()
    return int(count), Decimal(total)


def source_lines(
    accrual: Accrual, d: Definition, *, offset: int = 0, limit: int | None = None
) -> list[tuple]:
    sql, params = source_lines_sql(accrual, d)
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def progress_by_month(accrual: Accrual, d: Definition) -> list[dict[str, str]]:
    """Cumulative measure by month of the period (chart data as strings, never floats)."""
    quantity = d.counts_quantity
    sql, params = source_lines_sql(accrual, d)
    if accrual.source == Accrual.Source.DEALS:
        value = "1" if quantity else "s.converted"
        day = "s.closed_on"
        cols = "id, customer, closed_on, value, currency, rate, converted"
    else:
        value = "s.quantity" if quantity else "s.converted"
        day = "s.invoice_date"
        cols = (
            "id, invoice_number, invoice_line, invoice_date, sku, quantity, amount, currency, rate, converted"
        )
    statement = f"""
      SELECT to_char(date_trunc('month', {day}), 'YYYY-MM') AS month,
             sum(sum({value})) OVER (ORDER BY date_trunc('month', {day}))
      FROM ({sql}) AS s({cols})
      GROUP BY date_trunc('month', {day}) ORDER BY 1"""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [{"month": month, "value": str(total or 0)} for month, total in cursor.fetchall()]
