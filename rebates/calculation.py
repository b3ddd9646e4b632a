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


def _pos_groups_sql(d: Definition, params: dict[str, Any], *, start: str, end: str) -> str:
    """POS lines in scope grouped by partner, currency and invoice date (rates are looked up
    once per group)."""
    join = ""
    if d.skus or d.categories:
        params["skus"], params["categories"] = list(d.skus), list(d.categories)
        join = (
            " JOIN prm_product pr ON pr.tenant_id = l.tenant_id AND pr.id = l.product_id"
            " AND (pr.sku = ANY(%(skus)s) OR pr.category = ANY(%(categories)s))"
        )
    # Grouped by partner, currency and invoice date: the date's rate converts the foreign-currency
    # groups. Eligibility is applied to the groups (``gx``), so the scan of the lines stays as
    # plain as a GROUP BY over the table. The lines themselves are named by the accrual's scope
    # and ``lines_loaded_to`` (the newest line counted), not copied into every run.
    return f"""
      SELECT l.partner_id, NULL::bigint AS payee, l.currency AS cur, l.invoice_date AS day,
             sum(l.amount) AS amount, sum(l.quantity)::numeric AS qty, count(*) AS n,
             NULL::bigint[] AS ids, max(l.loaded_at) AS loaded_to
      FROM posdata_posline l{join}
      WHERE l.tenant_id = %(t)s AND l.invoice_date BETWEEN {start} AND {end}
      GROUP BY 1, 3, 4"""


def _deal_groups_sql(d: Definition, params: dict[str, Any], *, rep_payee: bool) -> str:
    params["deal_min"] = d.deal_min_value if d.deal_min_value is not None else ZERO
    payee = "NULL::bigint"
    if rep_payee:
        # The deal's owner (else its author) where the partner opted in; else the partner.
        payee = (
            "CASE WHEN EXISTS (SELECT 1 FROM rebates_repoptin o WHERE o.tenant_id = r.tenant_id"
            " AND o.partner_id = r.partner_id AND o.enabled) THEN coalesce(r.owner_id, r.created_by_id) END"
        )
    value = "coalesce(r.closed_value, r.value)"
    return f"""
      SELECT r.partner_id, {payee} AS payee, r.currency AS cur, r.closed_on AS day,
             sum({value}) AS amount, count(*)::numeric AS qty, count(*) AS n, array_agg(r.id) AS ids,
             NULL::timestamptz AS loaded_to
      FROM deals_dealregistration r
      WHERE r.tenant_id = %(t)s AND r.status = 'won' AND r.closed_on BETWEEN %(start)s AND %(end)s
        AND {value} >= %(deal_min)s
      GROUP BY 1, 2, 3, 4"""


def calculation_sql(scope: RunScope) -> tuple[str, dict[str, Any]]:
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
    }
    deal_based = d.is_deal_based
    lateral = rate_lateral_sql(currency="g.cur", day="g.day", target=target, tenant_id=scope.tenant_id)
    params["elig"] = eligible_partner_ids(d, scope.tenant_id)
    ctes: list[str] = []
    if deal_based:
        ctes.append(f"g AS MATERIALIZED ({_deal_groups_sql(d, params, rep_payee=d.payee == 'rep')})")
    else:
        ctes.append(f"g AS MATERIALIZED ({_pos_groups_sql(d, params, start='%(start)s', end='%(end)s')})")
    quantity = d.basis in (Basis.QUANTITY, Basis.DEAL_COUNT)
    converted = f"CASE WHEN g.cur = '{target}' THEN g.amount ELSE g.amount * fx.rate END"
    # One rate look-up per distinct (currency, day), not per partner.
    day_lateral = rate_lateral_sql(currency="k.cur", day="k.day", target=target, tenant_id=scope.tenant_id)
    ctes.append(f"""fx AS MATERIALIZED (
      SELECT k.cur, k.day, fx.rate, fx.rate_date, fx.source, fx.inverse, fx.rate_id
      FROM (SELECT DISTINCT g.cur, g.day FROM g WHERE g.cur <> '{target}') k {day_lateral})""")
    ctes.append(f"""gx AS MATERIALIZED (
      SELECT g.*, fx.rate AS fx_rate, fx.rate_date AS fx_date, fx.source AS fx_source, fx.inverse AS fx_inverse,
             fx.rate_id AS fx_id, {converted} AS converted
      FROM g LEFT JOIN fx ON fx.cur = g.cur AND fx.day = g.day
      WHERE g.partner_id = ANY(%(elig)s))""")
    measure = "sum(gx.qty)" if quantity else "sum(gx.converted)"
    ids = "rebates_array_cat_agg(gx.ids)" if deal_based else "NULL::bigint[]"
    ctes.append(f"""m AS (
      SELECT gx.partner_id, gx.payee, {measure} AS measure, sum(gx.n) AS n, {ids} AS ids,
             max(gx.loaded_to) AS loaded_to
      FROM gx GROUP BY gx.partner_id, gx.payee)""")
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
             coalesce(m.measure, 0) AS measure, coalesce(m.n, 0) AS n, coalesce(m.ids, '{}'::bigint[]) AS ids,
             m.loaded_to,
             coalesce(paid.paid, 0) AS paid
      FROM m FULL JOIN paid ON paid.partner_id = m.partner_id AND paid.payee IS NOT DISTINCT FROM m.payee)""")
    baseline_join = ""
    baseline_col = "NULL::numeric"
    counted = "mp.measure"
    if d.method == Method.GROWTH and d.baseline is not None:
        params["b_start"], params["b_end"] = d.baseline
        b_measure = "sum(g.qty)" if quantity else f"sum({converted})"
        ctes.append(f"""b AS (
          SELECT g.partner_id, {b_measure} AS baseline,
                 min(g.day) FILTER (WHERE g.cur <> '{target}' AND fx.rate IS NULL) AS missing_day,
                 min(g.cur) FILTER (WHERE g.cur <> '{target}' AND fx.rate IS NULL) AS missing_cur
          FROM ({_pos_groups_sql(d, params, start="%(b_start)s", end="%(b_end)s")}) g {lateral}
          GROUP BY g.partner_id)""")
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
      SELECT f.partner_id, f.payee, f.ids, f.n, f.loaded_to, round(f.measure, 16), round(f.baseline, 16),
             round(f.counted, 16), f.tier, f.tier_from, f.rate, f.bands, round(f.raw, 16), f.capped,
             f.below_minimum, f.earned, f.paid, f.earned - f.paid AS due
      FROM f"""
    with_clause = "WITH " + ",\n".join(ctes)
    missing_where = f"gx.cur <> '{target}' AND gx.fx_rate IS NULL"
    first_missing = f"FROM gx WHERE {missing_where} ORDER BY gx.day, gx.cur LIMIT 1"
    b_first = "FROM b WHERE b.missing_day IS NOT NULL ORDER BY b.missing_day, b.missing_cur LIMIT 1"
    b_missing = (
        f"(SELECT b.missing_day {b_first}), (SELECT b.missing_cur {b_first})"
        if baseline_join
        else "NULL::date, NULL::text"
    )
    rates = f"""(SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('base', fx.cur, 'quote', '{target}',
                 'rate', fx.rate::text, 'rate_date', fx.rate_date, 'source', fx.source,
                 'inverse', fx.inverse, 'rate_id', fx.rate_id)) FILTER (WHERE fx.rate IS NOT NULL), '[]'::jsonb)
              FROM fx)"""
    checks = f"(SELECT gx.day {first_missing}), (SELECT gx.cur {first_missing}), {b_missing}, {rates}"
    # A plain SELECT (no data-modifying clause), so PostgreSQL may scan the lines in parallel; the
    # few hundred accrual rows it returns are inserted by ``execute_run`` in one batch. The extra
    # row of the outer join carries the checks when no partner has data.
    statement = (
        f"{with_clause} SELECT s.*, {checks} FROM ({select}) s RIGHT JOIN (SELECT 1) one ON true"
        " ORDER BY s.partner_id, s.payee"
    )
    return statement, params


@dataclass
class RunSummary:
    accruals: int
    earned: Decimal
    due: Decimal
    source_lines: int
    fx_rates: list[dict[str, Any]]


def _raise_missing(target: str, day, currency, b_day, b_currency) -> None:
    if day is not None:
        raise MissingRate(base=currency, quote=target, day=day)
    if b_day is not None:
        raise MissingRate(base=b_currency, quote=target, day=b_day)


def _computed(scope: RunScope) -> tuple[list[tuple], list[dict[str, Any]]]:
    """The accrual rows of ``scope`` and the rates used; ``MissingRate`` when a conversion lacks one."""
    statement, params = calculation_sql(scope)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    day, currency, b_day, b_currency, rates = rows[0][-5:]
    _raise_missing(scope.definition.currency, day, currency, b_day, b_currency)
    if isinstance(rates, str):  # Django's connection hands jsonb over as text
        rates = json.loads(rates)
    rates = sorted(rates or [], key=lambda r: (r["base"], str(r["rate_date"]), r["rate_id"] or 0))
    return [row[:-5] for row in rows if row[0] is not None], rates


INSERT = """
  INSERT INTO rebates_accrual (tenant_id, run_id, program_id, currency, source, partner_id, payee_user_id,
    source_ids, source_count, lines_loaded_to, measure, baseline, counted, tier, tier_from, rate, bands, raw_earned,
    capped, below_minimum, earned, paid_before, due)
  VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s)"""


def execute_run(scope: RunScope, *, run_id: int) -> RunSummary:
    """Compute and store the run's accruals (nothing is stored when a rate is missing)."""
    rows, rates = _computed(scope)
    source = "deals" if scope.definition.is_deal_based else "pos"
    head = (scope.tenant_id, run_id, scope.program_id, scope.definition.currency, source)
    with connection.cursor() as cursor:
        cursor.executemany(INSERT, [(*head, *row) for row in rows])
    return RunSummary(
        accruals=len(rows),
        earned=sum((Decimal(row[15]) for row in rows), start=ZERO),
        due=sum((Decimal(row[17]) for row in rows), start=ZERO),
        source_lines=sum(int(row[3]) for row in rows),
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
            partner_id=row[0],
            payee_id=row[1],
            source_count=int(row[3]),
            measure=Decimal(row[5]),
            counted=Decimal(row[7]),
            tier=row[8],
            rate=row[10],
            earned=Decimal(row[15]),
        )
        for row in rows
    ]
