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

from django.db import connection

from prm.finance.rates import MissingRate, rate_lateral_sql
from prm.lib.money import minor_units
from rebates.definition import Definition
from rebates.models import Basis, Method

ZERO = Decimal("0")


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


def _pos_groups_sql(d: Definition, params: dict[str, Any], *, start: str, end: str, ids: bool) -> str:
    """POS lines in scope grouped by partner, currency and invoice date (rates are looked up
    once per group)."""
    join = ""
    if d.skus or d.categories:
        params["skus"], params["categories"] = list(d.skus), list(d.categories)
        join = (
            " JOIN prm_product pr ON pr.tenant_id = l.tenant_id AND pr.id = l.product_id"
            " AND (pr.sku = ANY(%(skus)s) OR pr.category = ANY(%(categories)s))"
        )
    ids_col = ", array_agg(l.id) AS ids" if ids else ""
    return f"""
      SELECT l.partner_id, NULL::bigint AS payee, l.currency AS cur, l.invoice_date AS day,
             sum(l.amount) AS amount, sum(l.quantity)::numeric AS qty, count(*) AS n{ids_col}
      FROM posdata_posline l{join}
      WHERE l.tenant_id = %(t)s AND l.invoice_date BETWEEN {start} AND {end}
        AND l.partner_id IN (SELECT id FROM elig)
      GROUP BY l.partner_id, l.currency, l.invoice_date"""


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
             sum({value}) AS amount, count(*)::numeric AS qty, count(*) AS n, array_agg(r.id) AS ids
      FROM deals_dealregistration r
      WHERE r.tenant_id = %(t)s AND r.status = 'won' AND r.closed_on BETWEEN %(start)s AND %(end)s
        AND r.partner_id IN (SELECT id FROM elig) AND {value} >= %(deal_min)s
      GROUP BY 1, 2, 3, 4"""


def calculation_sql(scope: RunScope, *, run_id: int | None) -> tuple[str, dict[str, Any]]:
    """The statement computing every accrual of a run: with ``run_id`` it inserts them and returns
    one summary row; without, it returns the accrual rows (the simulator)."""
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
    ctes = [f"elig AS ({_eligible_sql(d, params)})"]
    if deal_based:
        ctes.append(f"g AS MATERIALIZED ({_deal_groups_sql(d, params, rep_payee=d.payee == 'rep')})")
    else:
        ctes.append(
            f"g AS MATERIALIZED ({_pos_groups_sql(d, params, start='%(start)s', end='%(end)s', ids=True)})"
        )
    quantity = d.basis in (Basis.QUANTITY, Basis.DEAL_COUNT)
    converted = f"CASE WHEN g.cur = '{target}' THEN g.amount ELSE g.amount * fx.rate END"
    ctes.append(f"""gx AS MATERIALIZED (
      SELECT g.*, fx.rate AS fx_rate, fx.rate_date AS fx_date, fx.source AS fx_source, fx.inverse AS fx_inverse,
             fx.rate_id AS fx_id, {converted} AS converted
      FROM g {lateral})""")
    measure = "sum(gx.qty)" if quantity else "sum(gx.converted)"
    ctes.append(f"""m AS (
      SELECT gx.partner_id, gx.payee, {measure} AS measure, sum(gx.n) AS n, rebates_array_cat_agg(gx.ids) AS ids
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
          FROM ({_pos_groups_sql(d, params, start="%(b_start)s", end="%(b_end)s", ids=False)}) g {lateral}
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
    source = "deals" if deal_based else "pos"
    select = """
      SELECT f.partner_id, f.payee, f.ids, f.n, f.measure, f.baseline, f.counted, f.tier, f.tier_from, f.rate,
             f.bands, f.raw, f.capped, f.below_minimum, f.earned, f.paid, f.earned - f.paid AS due
      FROM f"""
    with_clause = "WITH " + ",\n".join(ctes)
    missing_where = f"gx.cur <> '{target}' AND gx.fx_rate IS NULL"
    missing = f"SELECT 1 FROM gx WHERE {missing_where}"
    first_missing = f"FROM gx WHERE {missing_where} ORDER BY gx.day, gx.cur LIMIT 1"
    b_first = "FROM b WHERE b.missing_day IS NOT NULL ORDER BY b.missing_day, b.missing_cur LIMIT 1"
    b_missing = (
        f"(SELECT b.missing_day {b_first}), (SELECT b.missing_cur {b_first})"
        if baseline_join
        else "NULL::date, NULL::text"
    )
    checks = f"(SELECT gx.day {first_missing}), (SELECT gx.cur {first_missing}), {b_missing}"
    if run_id is None:
        return (
            f"{with_clause} SELECT s.*, {checks} FROM ({select}) s RIGHT JOIN (SELECT 1) one ON true"
            " ORDER BY s.partner_id, s.payee",
            params,
        )
    params["run"] = run_id
    statement = f"""{with_clause},
      ins AS (
        INSERT INTO rebates_accrual (tenant_id, run_id, program_id, partner_id, payee_user_id, currency, source,
          source_ids, source_count, measure, baseline, counted, tier, tier_from, rate, bands, raw_earned, capped,
          below_minimum, earned, paid_before, due)
        SELECT %(t)s, %(run)s, %(program)s, s.partner_id, s.payee, %(cur)s, '{source}', s.ids, s.n,
               round(s.measure, 16), round(s.baseline, 16), round(s.counted, 16), s.tier, s.tier_from, s.rate,
               s.bands, round(s.raw, 16), s.capped, s.below_minimum, s.earned, s.paid, s.due
        FROM ({select}) s
        WHERE NOT EXISTS ({missing})
        RETURNING earned, due, source_count)
      SELECT (SELECT count(*) FROM ins), (SELECT coalesce(sum(earned), 0) FROM ins),
             (SELECT coalesce(sum(due), 0) FROM ins), (SELECT coalesce(sum(source_count), 0) FROM ins),
             {checks},
             (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('base', gx.cur, 'quote', '{target}',
                 'rate', gx.fx_rate::text, 'rate_date', gx.fx_date, 'source', gx.fx_source,
                 'inverse', gx.fx_inverse, 'rate_id', gx.fx_id)) FILTER (WHERE gx.fx_rate IS NOT NULL), '[]'::jsonb)
              FROM gx)"""
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


def execute_run(scope: RunScope, *, run_id: int) -> RunSummary:
    """Insert the run's accruals; ``MissingRate`` (nothing inserted) when a conversion lacks a rate."""
    statement, params = calculation_sql(scope, run_id=run_id)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        count, earned, due, lines, day, currency, b_day, b_currency, rates = cursor.fetchone()
    _raise_missing(scope.definition.currency, day, currency, b_day, b_currency)
    if isinstance(rates, str):
        rates = json.loads(rates)
    rates = sorted(rates or [], key=lambda r: (r["base"], str(r["rate_date"]), r["rate_id"] or 0))
    return RunSummary(
        accruals=int(count), earned=Decimal(earned), due=Decimal(due), source_lines=int(lines), fx_rates=rates
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
    statement, params = calculation_sql(scope, run_id=None)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    if rows:
        _raise_missing(scope.definition.currency, *rows[0][-4:])
    result = []
    for row in rows:
        if row[0] is None:  # the one row of an empty result
            continue
        partner_id, payee, _ids, n, measure, _b, counted, tier, _tf, rate, _bands, _raw, _c, _bm, earned = (
            row[:15]
        )
        result.append(
            SimulatedAccrual(
                partner_id=partner_id,
                payee_id=payee,
                source_count=int(n),
                measure=Decimal(measure),
                counted=Decimal(counted),
                tier=tier,
                rate=rate,
                earned=Decimal(earned),
            )
        )
    return result
