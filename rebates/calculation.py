"""The calculation, set-based: one SQL statement per run computes, for every eligible partner (and
rep), the measure from the loaded POS lines (net of returns, by invoice date, converted into the
program currency at each line's invoice-date rate through prm.finance.rates' rule) or from won
deals, the tier reached, the rate, the bands, caps, minimum and rounding, what was approved
before and the due amount, and writes the accruals with the ids of their source lines
(INSERT ... SELECT). The same SELECT without the INSERT is the what-if simulator.

Rules (DOMAIN.md): thresholds mean "from this value upward"; ``flat``, ``retroactive``,
``growth`` and ``per_unit`` apply the rate of the highest tier reached to the whole counted
measure, ``incremental`` pays each band at its own rate. The measure cap limits the counted
measure, the payout cap the amount; below ``minimum`` (an amount) nothing is earned; a negative
net measure earns nothing. Rounding (the program's mode, to the currency's minor unit) applies
to each partner's period total only.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from prm.finance.rates import MissingRate, rate_lateral_sql
from prm.lib.money import minor_units
from rebates.definition import Definition
from rebates.models import Basis, Method

ZERO = Decimal("0")
# The first grouping keeps the ids of its lines; with the default work_mem PostgreSQL would sort
# the whole table for it instead of hashing (a calculation is one statement of one job).
WORK_MEM = "256MB"


@dataclass(frozen=True)
class RunScope:
    tenant_id: int
    program_id: int
    definition: Definition
    as_of: datetime.date  # last day counted (inclusive)
    # The run's POS line watermark (posdata.watermark): only lines up to it count, so that the
    # statement can list the same lines later. None (the simulator): every line loaded.
    pos_lines_to: int | None = None


def _round_sql(expr: str, mode: str, places: int) -> str:
    scale = f"power(10::numeric, {places})"
    if mode == "down":
        return f"trunc({expr}, {places})"
    if mode == "up":
        return f"(ceil({expr} * {scale}) / {scale})"
    if mode == "half_even":
        return (
            f"(CASE WHEN ({expr}) * {scale} - trunc(({expr}) * {scale}) = 0.5"
            f" AND mod(trunc(({expr}) * {scale}), 2) = 0 THEN trunc({expr}, {places}) ELSE round({expr}, {places}) END)"
        )
    return f"round({expr}, {places})"


def _tiers_sql(definition: Definition) -> str:
    rows = []
    tiers = definition.tiers
    for index, tier in enumerate(tiers):
        upper = f"{tiers[index + 1].start}::numeric" if index + 1 < len(tiers) else "NULL::numeric"
        rows.append(f"({index}, {tier.start}::numeric, {tier.rate}::numeric, {upper})")
    return "(VALUES " + ", ".join(rows) + ") AS tt(idx, t_from, t_rate, t_to)"


def eligible_partner_ids(d: Definition, tenant_id: int) -> list[int]:
    """The ids of the partners the program may pay (one small query; the calculation then
    filters the lines with a hashed ``= ANY(array)``, whatever the table statistics say)."""
    params: dict[str, Any] = {"t": tenant_id}
    with connection.cursor() as cursor:
        cursor.execute(_eligible_sql(d, params), params)
        return [row[0] for row in cursor.fetchall()]


def _eligible_sql(d: Definition, params: dict[str, Any]) -> str:
    """Partners the program may pay: the definition's lists (empty = no restriction) and only
    tiers whose benefits include rebates (a tier unknown to the tier tables restricts nothing)."""
    conditions = ["p.tenant_id = %(t)s", "coalesce(tr.rebate_eligible, true)"]
    for key, column, values in (
        ("codes", "p.code", d.partner_codes),
        ("tiers", "p.tier", d.tiers_eligible),
        ("types", "p.type", d.types),
        ("regions", "p.region", d.regions),
    ):
        if values:
            params[key] = list(values)
            conditions.append(f"{column} = ANY(%({key})s)")
    return (
        "SELECT p.id FROM partners_partner p LEFT JOIN partners_tier tr"
        " ON tr.tenant_id = p.tenant_id AND tr.id = p.current_tier_id WHERE " + " AND ".join(conditions)
    )


def foreign_currencies(target: str, tenant_id: int) -> list[str]:
    """Currencies with a stored rate to or from ``target`` (the only ones that can convert)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT CASE WHEN base_currency = %s THEN quote_currency ELSE base_currency END"
            " FROM prm_fxrate WHERE tenant_id = %s AND %s IN (base_currency, quote_currency) ORDER BY 1",
            [target, tenant_id, target],
        )
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class WindowRate:
    cur: str
    day: datetime.date
    rate: Decimal
    rate_date: datetime.date
    source: str
    inverse: bool
    rate_id: int

    def as_record(self, quote: str) -> dict[str, Any]:
        return {
            "base": self.cur,
            "quote": quote,
            "rate": format(self.rate, "f"),
            "rate_date": self.rate_date.isoformat(),
            "source": self.source,
            "inverse": self.inverse,
            "rate_id": self.rate_id,
        }


def window_rates(target: str, tenant_id: int, start: datetime.date, end: datetime.date) -> list[WindowRate]:
    """The rate of every foreign currency for every day of a window, by ``rate_for``'s rule (one
    query; currencies x days rows, a few thousand at most). Days without a rate are left out."""
    curs = foreign_currencies(target, tenant_id)
    if not curs:
        return []
    lateral = rate_lateral_sql(currency="c.cur", day="d.day", target=target, tenant_id=tenant_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.cur, d.day, fx.rate, fx.rate_date, fx.source, fx.inverse, fx.rate_id
                FROM unnest(%s::text[]) c(cur)
                CROSS JOIN LATERAL (SELECT g::date AS day FROM generate_series(%s::date, %s::date, interval '1 day') g) d
                {lateral}
                WHERE fx.rate IS NOT NULL ORDER BY 1, 2""",
            [curs, start, end],
        )
        return [WindowRate(*row) for row in cursor.fetchall()]


def _rates_sql(rates: list[WindowRate], params: dict[str, Any], prefix: str) -> str:
    """The window's rates as an inline table (arrays as parameters: the planner may scan the
    lines in parallel and hash-join them to it). ``bit`` marks each currency (rates used)."""
    order = sorted({r.cur for r in rates})
    params[f"{prefix}_cur"] = [r.cur for r in rates]
    params[f"{prefix}_day"] = [r.day for r in rates]
    params[f"{prefix}_rate"] = [r.rate for r in rates]
    params[f"{prefix}_bit"] = [1 << min(order.index(r.cur), 62) for r in rates]
    return (
        f"(SELECT * FROM unnest(%({prefix}_cur)s::text[], %({prefix}_day)s::date[], %({prefix}_rate)s::numeric[],"
        f" %({prefix}_bit)s::bigint[]) AS x(cur, day, rate, bit))"
    )


def _lines_to_sql(scope: RunScope, params: dict[str, Any], alias: str = "l") -> str:
    """The condition keeping the POS lines up to the run's watermark (none for the simulator)."""
    if scope.pos_lines_to is None:
        return ""
    params["lines_to"] = scope.pos_lines_to
    return f" AND {alias}.id <= %(lines_to)s"


def _pos_source_sql(
    scope: RunScope,
    params: dict[str, Any],
    rates: list[WindowRate],
    *,
    start: str,
    end: str,
    prefix: str,
) -> str:
    """POS lines in scope and window up to the run's watermark, per partner: quantity, amount
    converted at each line's invoice-date rate (the measure of revenue programs, the revenue a
    quantity program covers), and count. Grouped by partner alone, like a bare GROUP BY over the
    table (parallel); eligibility applies to the groups. The accrual names its lines by its scope
    and the run's watermark, not by id (the statement lists them again)."""
    d = scope.definition
    target = d.currency
    join = ""
    if d.skus or d.categories:
        params["skus"], params["categories"] = list(d.skus), list(d.categories)
        join = (
            " JOIN prm_product pr ON pr.tenant_id = l.tenant_id AND pr.id = l.product_id"
            " AND (pr.sku = ANY(%(skus)s) OR pr.category = ANY(%(categories)s))"
        )
    qty = "sum(l.quantity)::numeric" if d.counts_quantity else "NULL::numeric"
    converted, rates_join = _converted_sql(
        "l.amount", "l.currency", "l.invoice_date", target, rates, params, prefix
    )
    return f"""
      SELECT l.partner_id, NULL::bigint AS payee, {qty} AS qty, {converted}, count(*) AS n, NULL::bigint[] AS ids
      FROM posdata_posline l{join}{rates_join}
      WHERE l.tenant_id = %(t)s AND l.invoice_date BETWEEN {start} AND {end}{_lines_to_sql(scope, params)}
      GROUP BY l.partner_id"""


def _converted_sql(
    amount: str,
    currency: str,
    day: str,
    target: str,
    rates: list[WindowRate],
    params: dict[str, Any],
    prefix: str,
) -> tuple[str, str]:
    """The converted sum of the source (and a join to the window's rates when any exist). A line
    without a rate makes its partner's sum NaN: where it is the measure, the run stops there and
    names the first such line's currency and day (``_first_missing``), with no extra aggregate on
    the hot path; where it is only the revenue covered (quantity bases), that revenue is unknown."""
    if not rates:
        return (
            f"sum(CASE WHEN {currency} = '{target}' THEN {amount} ELSE 'NaN'::numeric END)"
            " AS converted, 0::bigint AS seen",
            "",
        )
    table = _rates_sql(rates, params, prefix)
    return (
        f"sum(CASE WHEN {currency} = '{target}' THEN {amount}"
        f" ELSE coalesce({amount} * r.rate, 'NaN'::numeric) END) AS converted, bit_or(r.bit) AS seen",
        f" LEFT JOIN {table} r ON r.cur = {currency} AND r.day = {day}",
    )


def _deal_source_sql(d: Definition, params: dict[str, Any], rates: list[WindowRate]) -> str:
    """Won deals closed in the window from the minimum value, per partner (and rep): count,
    value converted at the close-date rate (the measure, or the revenue a count covers), and
    their ids."""
    target = d.currency
    params["deal_min"] = d.deal_min_value if d.deal_min_value is not None else ZERO
    payee = "NULL::bigint"
    if d.payee == "rep":
        # The deal's owner (else its author) where the partner opted in; else the partner.
        payee = (
            "CASE WHEN EXISTS (SELECT 1 FROM rebates_repoptin o WHERE o.tenant_id = dr.tenant_id"
            " AND o.partner_id = dr.partner_id AND o.enabled) THEN coalesce(dr.owner_id, dr.created_by_id) END"
        )
    value = "coalesce(dr.closed_value, dr.value)"
    qty = "count(*)::numeric" if d.counts_quantity else "NULL::numeric"
    converted, rates_join = _converted_sql(value, "dr.currency", "dr.closed_on", target, rates, params, "r")
    return f"""
      SELECT dr.partner_id, {payee} AS payee, {qty} AS qty, {converted},
             count(*) AS n, array_agg(dr.id ORDER BY dr.id) AS ids
      FROM deals_dealregistration dr{rates_join}
      WHERE dr.tenant_id = %(t)s AND dr.status = 'won' AND dr.closed_on BETWEEN %(start)s AND %(end)s
        AND {value} >= %(deal_min)s
      GROUP BY 1, 2"""


def calculation_sql(scope: RunScope) -> tuple[str, dict[str, Any], list[WindowRate]]:
    """The statement computing every accrual of a run (the simulator shows the same rows)."""
    d = scope.definition
    target = d.currency
    places = minor_units(target)
    params: dict[str, Any] = {
        "t": scope.tenant_id,
        "program": scope.program_id,
        "start": d.start,
        "end": min(d.end, scope.as_of),
        "cur": target,
        "elig": eligible_partner_ids(d, scope.tenant_id),
    }
    quantity = d.basis in (Basis.QUANTITY, Basis.DEAL_COUNT)
    measure = "g.qty" if quantity else "g.converted"
    rates = window_rates(target, scope.tenant_id, params["start"], params["end"])
    if d.is_deal_based:
        source = _deal_source_sql(d, params, rates)
    else:
        source = _pos_source_sql(scope, params, rates, start="%(start)s", end="%(end)s", prefix="r")
    ctes = [f"g AS MATERIALIZED ({source})"]
    ctes.append(f"""m AS (
      SELECT g.partner_id, g.payee, {measure} AS measure, nullif(g.converted, 'NaN') AS revenue, g.n, g.ids
      FROM g WHERE g.partner_id = ANY(%(elig)s))""")
    # Partners with an approved amount but no source lines any more are computed too: their
    # earned is now zero, so what was approved comes back as a clawback.
    ctes.append("""paid AS (
      SELECT sl.partner_id, sl.payee_user_id AS payee, sum(sl.due) AS paid
      FROM rebates_settlementline sl
      JOIN rebates_settlement s ON s.tenant_id = sl.tenant_id AND s.id = sl.settlement_id
      LEFT JOIN prm_payable py ON py.tenant_id = sl.tenant_id AND py.id = sl.payable_id
      WHERE sl.tenant_id = %(t)s AND sl.program_id = %(program)s AND s.status = 'approved'
        AND coalesce(py.status, '') <> 'cancelled'
      GROUP BY 1, 2)""")
    ctes.append("""mp AS (
      SELECT coalesce(m.partner_id, paid.partner_id) AS partner_id, coalesce(m.payee, paid.payee) AS payee,
             coalesce(m.measure, 0) AS measure, CASE WHEN m.partner_id IS NULL THEN 0 ELSE m.revenue END AS revenue,
             coalesce(m.n, 0) AS n, coalesce(m.ids, '{}'::bigint[]) AS ids,
             coalesce(paid.paid, 0) AS paid
      FROM m FULL JOIN paid ON paid.partner_id = m.partner_id AND paid.payee IS NOT DISTINCT FROM m.payee)""")
    baseline_join = ""
    baseline_col = "NULL::numeric"
    counted = "mp.measure"
    if d.method == Method.GROWTH and d.baseline is not None:
        params["b_start"], params["b_end"] = d.baseline
        b_rates = window_rates(target, scope.tenant_id, *d.baseline)
        b_source = _pos_source_sql(scope, params, b_rates, start="%(b_start)s", end="%(b_end)s", prefix="rb")
        ctes.append(f"b AS MATERIALIZED (SELECT g.*, {measure} AS baseline FROM ({b_source}) g)")
        baseline_join = " LEFT JOIN b ON b.partner_id = mp.partner_id"
        baseline_col = "b.baseline"
        counted = "greatest(mp.measure - b.baseline, 0)"
        if d.new_partner_rate is None:
            counted = f"CASE WHEN b.partner_id IS NULL THEN 0 ELSE {counted} END"
        else:
            counted = f"CASE WHEN b.partner_id IS NULL THEN mp.measure ELSE {counted} END"
    if d.cap_measure is not None:
        params["cap_measure"] = d.cap_measure
        counted = f"least({counted}, %(cap_measure)s)"
    ctes.append(f"""c AS (
      SELECT mp.*, {baseline_col} AS baseline, greatest({counted}, 0) AS counted,
             {"b.partner_id IS NULL" if baseline_join else "false"} AS no_baseline
      FROM mp{baseline_join})""")
    tiers = _tiers_sql(d)
    new_rate = (
        f"CASE WHEN c.no_baseline THEN {d.new_partner_rate}::numeric END"
        if d.new_partner_rate is not None and baseline_join
        else "NULL::numeric"
    )
    if d.method == Method.INCREMENTAL:
        raw = "coalesce(bands.amount, 0)"
    else:
        raw = f"c.counted * coalesce({new_rate}, reached.t_rate, 0)"
    ctes.append(f"""e AS (
      SELECT c.*, reached.idx AS tier, reached.t_from AS tier_from,
             coalesce({new_rate}, reached.t_rate) AS rate,
             coalesce(bands.bands, '[]'::jsonb) AS bands, greatest({raw}, 0) AS raw
      FROM c
      LEFT JOIN LATERAL (SELECT tt.* FROM {tiers} WHERE tt.t_from <= c.counted AND c.counted > 0
                         ORDER BY tt.t_from DESC LIMIT 1) reached ON true
      LEFT JOIN LATERAL (
        SELECT sum((least(c.counted, coalesce(tt.t_to, c.counted)) - tt.t_from) * tt.t_rate) AS amount,
               jsonb_agg(jsonb_build_object('tier', tt.idx, 'from', tt.t_from::text, 'to', tt.t_to::text,
                 'measure', (least(c.counted, coalesce(tt.t_to, c.counted)) - tt.t_from)::text,
                 'rate', tt.t_rate::text,
                 'amount', ((least(c.counted, coalesce(tt.t_to, c.counted)) - tt.t_from) * tt.t_rate)::text)
                 ORDER BY tt.idx) AS bands
        FROM {tiers} WHERE {"true" if d.method == Method.INCREMENTAL else "false"} AND tt.t_from < c.counted
      ) bands ON true)""")
    payout = "e.raw"
    capped = "false"
    if d.cap_payout is not None:
        params["cap_payout"] = d.cap_payout
        payout = "least(e.raw, %(cap_payout)s)"
        capped = "e.raw > %(cap_payout)s"
    params["minimum"] = d.minimum
    below = f"({payout} < %(minimum)s AND {payout} > 0)"
    earned = _round_sql(f"(CASE WHEN {below} THEN 0 ELSE {payout} END)", d.rounding, places)
    ctes.append(f"""f AS (
      SELECT e.*, {capped} AS capped, {below} AS below_minimum, {earned} AS earned FROM e)""")
    select = """
      SELECT f.partner_id, f.payee, f.ids, f.n, round(f.measure, 16), round(f.revenue, 16), round(f.baseline, 16),
             round(f.counted, 16), f.tier, f.tier_from, f.rate, f.bands, round(f.raw, 16), f.capped,
             f.below_minimum, f.earned, f.paid, f.earned - f.paid AS due
      FROM f"""
    with_clause = "WITH " + ",\n".join(ctes)
    b_checks = (
        "(SELECT bool_or(b.baseline = 'NaN') FROM b WHERE b.partner_id = ANY(%(elig)s)),"
        " (SELECT bit_or(b.seen) FROM b WHERE b.partner_id = ANY(%(elig)s))"
        if baseline_join
        else "false, 0"
    )
    checks = (
        "(SELECT bool_or(m.measure = 'NaN') FROM m), (SELECT bit_or(g.seen) FROM g WHERE g.partner_id = ANY(%(elig)s)),"
        f" {b_checks}"
    )
    # A plain SELECT (no data-modifying clause), so PostgreSQL may scan the lines in parallel; the
    # few hundred accrual rows it returns are inserted by ``execute_run`` in one batch. The extra
    # row of the outer join carries the checks when no partner has data.
    statement = (
        f"{with_clause} SELECT s.*, {checks} FROM ({select}) s RIGHT JOIN (SELECT 1) one ON true"
        " ORDER BY s.partner_id, s.payee"
    )
    return statement, params, rates


# The accrual columns of the statement's rows, in order (then four check columns).
COLUMNS = (
    "partner_id",
    "payee_user_id",
    "source_ids",
    "source_count",
    "measure",
    "revenue",
    "baseline",
    "counted",
    "tier",
    "tier_from",
    "rate",
    "bands",
    "raw_earned",
    "capped",
    "below_minimum",
    "earned",
    "paid_before",
    "due",
)


@dataclass
class RunSummary:
    accruals: int
    earned: Decimal
    due: Decimal
    source_lines: int
    fx_rates: list[dict[str, Any]]


def _first_missing(scope: RunScope, start: datetime.date, end: datetime.date) -> MissingRate:
    """The earliest (day, currency) of the window's source lines without a rate (the error)."""
    d = scope.definition
    params: dict[str, Any] = {"t": scope.tenant_id, "start": start, "end": end}
    table = _rates_sql(window_rates(d.currency, scope.tenant_id, start, end), params, "r")
    if d.is_deal_based:
        source, day, cond = "deals_dealregistration", "closed_on", "AND l.status = 'won'"
    else:
        source, day, cond = "posdata_posline", "invoice_date", _lines_to_sql(scope, params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT l.{day}, l.currency FROM {source} l LEFT JOIN {table} r ON r.cur = l.currency AND r.day = l.{day}
                WHERE l.tenant_id = %(t)s AND l.{day} BETWEEN %(start)s AND %(end)s {cond}
                  AND l.currency <> '{d.currency}' AND r.rate IS NULL ORDER BY 1, 2 LIMIT 1""",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return MissingRate(base="?", quote=d.currency, day=start)
    return MissingRate(base=row[1], quote=d.currency, day=row[0])


def _rates_used(rates: list[WindowRate], seen: int, quote: str) -> list[dict[str, Any]]:
    """The stored rates the run applied: those of the foreign currencies present, over its window."""
    order = sorted({r.cur for r in rates})
    used = {c for i, c in enumerate(order) if seen & (1 << min(i, 62))}
    records: dict[tuple, dict[str, Any]] = {}
    for r in rates:
        if r.cur in used:
            records.setdefault((r.cur, r.rate_id, r.inverse), r.as_record(quote))
    return sorted(records.values(), key=lambda x: (x["base"], x["rate_date"], x["rate_id"] or 0))


def _computed(scope: RunScope) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The accrual rows of ``scope`` ({column: value}) and the rates used; ``MissingRate`` when a
    conversion of a measure lacks one."""
    statement, params, window = calculation_sql(scope)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    missing, seen, b_missing, _b_seen = rows[0][-4:]
    d = scope.definition
    if missing:
        raise _first_missing(scope, params["start"], params["end"])
    if b_missing and d.baseline is not None:
        raise _first_missing(scope, d.baseline[0], d.baseline[1])
    rates = _rates_used(window, int(seen or 0), d.currency)
    return [dict(zip(COLUMNS, row[:-4], strict=True)) for row in rows if row[0] is not None], rates


INSERT = """
  INSERT INTO rebates_accrual (tenant_id, run_id, program_id, currency, source, partner_id, payee_user_id,
    source_ids, source_count, measure, revenue, baseline, counted, tier, tier_from, rate, bands, raw_earned,
    capped, below_minimum, earned, paid_before, due)
  SELECT %(t)s, %(run)s, %(program)s, %(cur)s, %(source)s, r.*
  FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(partner_id bigint, payee_user_id bigint, source_ids bigint[],
    source_count integer, measure numeric, revenue numeric, baseline numeric, counted numeric,
    tier smallint, tier_from numeric, rate numeric, bands jsonb, raw_earned numeric, capped boolean,
    below_minimum boolean, earned numeric, paid_before numeric, due numeric)"""


def _json_value(column: str, value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # exact: numeric reads the text
    if column == "bands" and isinstance(value, str):
        return json.loads(value)
    return value


def execute_run(scope: RunScope, *, run_id: int) -> RunSummary:
    """Compute and store the run's accruals (nothing is stored when a rate is missing): one
    statement reads the lines, one inserts the few hundred accruals (as one JSON parameter)."""
    rows, rates = _computed(scope)
    payload = [{column: _json_value(column, value) for column, value in row.items()} for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT,
            {
                "t": scope.tenant_id,
                "run": run_id,
                "program": scope.program_id,
                "cur": scope.definition.currency,
                "source": "deals" if scope.definition.is_deal_based else "pos",
                "rows": json.dumps(payload),
            },
        )
    return RunSummary(
        accruals=len(rows),
        earned=sum((Decimal(row["earned"]) for row in rows), start=ZERO),
        due=sum((Decimal(row["due"]) for row in rows), start=ZERO),
        source_lines=sum(int(row["source_count"]) for row in rows),
        fx_rates=rates,
    )


@dataclass
class SimulatedAccrual:
    partner_id: int
    payee_id: int | None
    source_count: int
    measure: Decimal
    counted: Decimal
    tier: int | None
    rate: Decimal | None
    earned: Decimal


def simulate(scope: RunScope) -> list[SimulatedAccrual]:
    """The accruals a run would store, computed and returned without writing anything."""
    rows, _rates = _computed(scope)
    return [
        SimulatedAccrual(
            partner_id=row["partner_id"],
            payee_id=row["payee_user_id"],
            source_count=int(row["source_count"]),
            measure=Decimal(row["measure"]),
            counted=Decimal(row["counted"]),
            tier=row["tier"],
            rate=row["rate"],
            earned=Decimal(row["earned"]),
        )
        for row in rows
    ]
